import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderMetricsDoc } from '../scripts/metrics-doc.js';

describe('METRICS.md', () => {
  it('matches the catalog (run `pnpm run docs` after changing a metric)', () => {
    const onDisk = readFileSync(new URL('../METRICS.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(renderMetricsDoc());
  });

  it('lists every seed metric by its exposition name', () => {
    const doc = renderMetricsDoc();
    for (const name of ['ryot_inference_requests_total', 'ryot_inference_ttft_seconds', 'ryot_inference_queue_wait_seconds', 'ryot_model_info']) {
      expect(doc).toContain(`\`${name}\``);
    }
  });
});
