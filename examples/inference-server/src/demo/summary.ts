import { bucketsFor, formatSeconds, formatUsd, histogramQuantile, parseExposition, type Exposition } from '@ryot/top';
import { quantile, type ClientStats } from './client-stats.js';

const STATUSES = ['success', 'error', 'timeout', 'cancelled'] as const;

interface Row {
  model: string;
  byStatus: string;
  server: { ttft: [number, number]; itl: [number, number]; latency: [number, number] };
  client: { ttft: [number, number]; itl: [number, number]; latency: [number, number] };
  tokensPerSecond: number;
  cacheHitRatio: number;
  queueWaitP95: number;
  /** Requests that met every target ÷ requests judged: the server's counters, the clients' own view of their streams. */
  goodput: { server: number; client: number };
  preemptions: number;
  spendUsd: number;
}

/** Spend per tenant label, with the demo's name for it when the label is the digest of a key it sent. */
export interface TenantSpend {
  tenant: string;
  name: string | undefined;
  requests: number;
  spendUsd: number;
}

function serverQuantiles(exposition: Exposition, metric: string, model: string): [number, number] {
  const buckets = bucketsFor(exposition, metric, { model });
  return [histogramQuantile(0.5, buckets), histogramQuantile(0.95, buckets)];
}

const pair = ([p50, p95]: [number, number]) => `${formatSeconds(p50)} / ${formatSeconds(p95)}`;

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : Number.NaN);

/** Per-model rows: server numbers from the scraped histograms, client numbers from the load generator's stopwatches. */
export function summarize(metricsText: string, clients: ReadonlyMap<string, ClientStats>, elapsedSeconds: number): Row[] {
  const exposition = parseExposition(metricsText);
  const models = [...new Set(exposition.get('ryot_inference_requests_total').map((s) => s.labels['model']!))].filter((m) => m !== 'unknown').sort();
  return models.map((model) => {
    const client = clients.get(model);
    const clientPair = (samples: number[] | undefined): [number, number] => [quantile(samples ?? [], 0.5), quantile(samples ?? [], 0.95)];
    const lookups = exposition.sum('ryot_cache_lookups_total', { model }) ?? 0;
    const waitBuckets = bucketsFor(exposition, 'ryot_inference_queue_wait_seconds', { model });
    return {
      model,
      byStatus: STATUSES.map((status) => `${status[0]}:${exposition.sum('ryot_inference_requests_total', { model, status }) ?? 0}`).join(' '),
      server: {
        ttft: serverQuantiles(exposition, 'ryot_inference_ttft_seconds', model),
        itl: serverQuantiles(exposition, 'ryot_inference_inter_token_latency_seconds', model),
        latency: serverQuantiles(exposition, 'ryot_inference_request_duration_seconds', model),
      },
      client: { ttft: clientPair(client?.ttft), itl: clientPair(client?.itl), latency: clientPair(client?.latency) },
      tokensPerSecond: (exposition.sum('ryot_tokens_generated_total', { model }) ?? 0) / elapsedSeconds,
      cacheHitRatio: lookups > 0 ? (exposition.sum('ryot_cache_hits_total', { model }) ?? 0) / lookups : Number.NaN,
      queueWaitP95: histogramQuantile(0.95, waitBuckets),
      goodput: {
        server: ratio(
          exposition.sum('ryot_goodput_requests_total', { model, slo: 'all', met: 'true' }) ?? 0,
          exposition.sum('ryot_goodput_requests_total', { model, slo: 'all' }) ?? 0,
        ),
        client: ratio(client?.met ?? 0, client?.judged ?? 0),
      },
      preemptions: exposition.sum('ryot_preemptions_total', { model }) ?? 0,
      spendUsd: exposition.sum('ryot_cost_usd_total', { model }) ?? 0,
    };
  });
}

/** Spend by tenant label, the largest first; `names` maps a label to the demo's name for its key. */
export function tenantSpend(metricsText: string, names: ReadonlyMap<string, string>): TenantSpend[] {
  const exposition = parseExposition(metricsText);
  const tenants = new Set(exposition.get('ryot_inference_requests_total').map((s) => s.labels['tenant']).filter((t): t is string => t !== undefined));
  return [...tenants]
    .map((tenant) => ({
      tenant,
      name: names.get(tenant),
      requests: exposition.sum('ryot_inference_requests_total', { tenant }) ?? 0,
      spendUsd: exposition.sum('ryot_cost_usd_total', { tenant }) ?? 0,
    }))
    .sort((a, b) => b.spendUsd - a.spendUsd);
}

/** A whole percentage that never rounds a miss away: 99.6 % is 99%, not 100%, and 0.4 % is <1%, not 0%. */
function percent(value: number): string {
  if (Number.isNaN(value)) return '-';
  const whole = Math.round(value * 100);
  if (whole === 100 && value < 1) return '99%';
  if (whole === 0 && value > 0) return '<1%';
  return `${whole}%`;
}

export function renderTenants(rows: TenantSpend[]): string {
  const lines = rows.map((row) => `  ${(row.name ? `${row.name} (${row.tenant})` : row.tenant).padEnd(36)} ${String(row.requests).padStart(6)} requests  ${formatUsd(row.spendUsd).padStart(10)}`);
  return ['Spend by tenant (tenant = a hash of the API key; one-off trial keys are counted as "other"):', ...lines].join('\n');
}

export function renderSummary(rows: Row[], rejected: number): string {
  const header = [
    'model',
    'requests s/e/t/c',
    'TTFT p50/p95 server | client',
    'ITL p50/p95 server | client',
    'latency p50/p95 server | client',
    'tok/s',
    'cache hit',
    'queue p95',
    'goodput server | client',
    'preempt',
    'spend',
  ];
  const body = rows.map((row) => [
    row.model,
    row.byStatus,
    `${pair(row.server.ttft)} | ${pair(row.client.ttft)}`,
    `${pair(row.server.itl)} | ${pair(row.client.itl)}`,
    `${pair(row.server.latency)} | ${pair(row.client.latency)}`,
    row.tokensPerSecond.toFixed(0),
    percent(row.cacheHitRatio),
    formatSeconds(row.queueWaitP95),
    `${percent(row.goodput.server)} | ${percent(row.goodput.client)}`,
    String(row.preemptions),
    formatUsd(row.spendUsd),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
    '',
    'requests s/e/t/c  requests by outcome: success / error / timeout / cancelled (the client went away)',
    'TTFT              time to first token, from the request reaching the engine (queue wait and prefill included)',
    'ITL               inter-token latency: the gap between two tokens of one stream',
    'latency           the whole request, to its last token or its end (client: successful requests only)',
    'p50 / p95         server | client: the server\'s from the scraped histograms (histogram_quantile over the buckets,',
    '                  so bucket-interpolated); the client\'s exact, from the load generator\'s stopwatches (TTFT includes HTTP)',
    `tok/s             tokens generated per second of the run, per model (all streams together)`,
    'cache hit         prefix-cache hits / lookups;  queue p95: 95th percentile of the wait for a batch slot',
    '-                 no observation in that histogram (e.g. no request of that kind finished)',
    '',
    `Invalid requests sent on purpose (malformed JSON, unknown model, negative max_tokens): ${rejected}, answered 4xx and`,
    'counted as ryot_inference_requests_total{model="unknown",status="error"} with error_type="invalid_request".',
    '',
    'goodput           requests that met every SLO target of their model / requests judged. server: ryot_goodput_requests_total',
    '                  {slo="all"} (every request, exact counts); client: the load generator\'s streams, judged by its own',
    '                  stopwatch against the same targets (its TTFT includes HTTP)',
    'preempt           sequences the engine preempted for KV-cache space (ryot_preemptions_total)',
    'spend             ryot_cost_usd_total, from the example\'s price table (src/ryot-options.ts)',
  ].join('\n');
}
