import { bucketsFor, formatSeconds, histogramQuantile, parseExposition, type Exposition } from '@ryot/top';
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
}

function serverQuantiles(exposition: Exposition, metric: string, model: string): [number, number] {
  const buckets = bucketsFor(exposition, metric, { model });
  return [histogramQuantile(0.5, buckets), histogramQuantile(0.95, buckets)];
}

const pair = ([p50, p95]: [number, number]) => `${formatSeconds(p50)} / ${formatSeconds(p95)}`;

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
    };
  });
}

export function renderSummary(rows: Row[], rejected: number): string {
  const header = ['model', 'requests s/e/t/c', 'TTFT p50/p95 server | client', 'ITL p50/p95 server | client', 'latency p50/p95 server | client', 'tok/s', 'cache hit', 'queue p95'];
  const body = rows.map((row) => [
    row.model,
    row.byStatus,
    `${pair(row.server.ttft)} | ${pair(row.client.ttft)}`,
    `${pair(row.server.itl)} | ${pair(row.client.itl)}`,
    `${pair(row.server.latency)} | ${pair(row.client.latency)}`,
    row.tokensPerSecond.toFixed(0),
    Number.isNaN(row.cacheHitRatio) ? '-' : `${(row.cacheHitRatio * 100).toFixed(0)}%`,
    formatSeconds(row.queueWaitP95),
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
  ].join('\n');
}
