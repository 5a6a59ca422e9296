import { ALL_METRICS, clusterMergeOf, prometheusName, prometheusType, type MetricGroup } from '../src/instrumentation.js';

const GROUP_TITLES: Record<MetricGroup, string> = {
  requests: 'Requests and latency',
  tokens: 'Tokens',
  model: 'Model performance',
  gpu: 'GPU (manual updates: updateGpuMetrics)',
  errors: 'Errors and retries',
  queue: 'Queueing',
  engine: 'Engine state (recordPreemption, setKvCacheUsage)',
  slo: 'Goodput against SLO targets (opt-in: the slo option)',
  cost: 'Cost in US dollars (opt-in: the prices option)',
  info: 'Info metrics',
  genai_server: 'OTel GenAI server semantic conventions (opt-in)',
  genai_client: 'OTel GenAI client semantic conventions (client integrations, opt-in)',
  genai_client_usage: 'Unreleased GenAI client usage counters (client integrations, opt-in: genAiUsageCounters)',
  hardware: 'GPU devices through NVML (@ryot/nvml, OTel hardware semantic conventions)',
  cluster: 'Cluster mode (@ryot/exporters, the primary of a node:cluster tree)',
};

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** METRICS.md, rendered from the catalog. */
export function renderMetricsDoc(): string {
  const lines = [
    '# Ryot metrics',
    '',
    '<!-- Generated from packages/metrics/src/catalog.ts by `pnpm run docs`. Do not edit by hand: a test fails when this file is stale. -->',
    '',
    'Names are given as the OTel instrument name and as the name in the Prometheus text exposition',
    '(the OTel Prometheus exporter appends `_total` to counters and replaces `.` with `_`).',
    '',
    'The *cluster* column is how cluster mode (`startTelemetry({ cluster: true })`, one `/metrics` served by the',
    'primary for every worker) combines the workers\' series of one attribute set: `sum` adds them, `max` keeps the',
    'largest, `per_worker` keeps each worker\'s series under its own `service_instance_id` label.',
    '',
  ];
  for (const [group, title] of Object.entries(GROUP_TITLES) as [MetricGroup, string][]) {
    const definitions = ALL_METRICS.filter((definition) => definition.group === group);
    if (definitions.length === 0) continue;
    lines.push(`## ${title}`, '', '| Prometheus name | Type | Unit | Labels | Buckets | Cluster | Description |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const definition of definitions) {
      const name = prometheusName(definition);
      const shownName = name === definition.name ? `\`${name}\`` : `\`${name}\`<br>(OTel \`${definition.name}\`)`;
      lines.push(
        `| ${shownName} | ${prometheusType(definition)} | ${definition.unit ? `\`${cell(definition.unit)}\`` : '—'} | ${
          definition.attributes.length ? definition.attributes.map((a) => `\`${a}\``).join(', ') : 'user-defined'
        }${definition.tenantLabel ? ', `tenant` (when tenants are enabled)' : ''} | ${definition.buckets ? definition.buckets.join(', ') : '—'} | \`${clusterMergeOf(definition)}\` | ${cell(definition.description)} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
