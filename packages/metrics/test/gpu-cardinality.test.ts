/**
 * The gpu_id cardinality guard: the first `maxGpus` distinct gpu_id values (default 64) keep their own series,
 * every later one is folded into gpu_id="__overflow__" with one diagnostic, so a caller that reports GPU figures
 * under ever-new ids cannot grow the exposition without bound.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OVERFLOW_LABEL } from '../src/instrumentation.js';
import { captureDiagWarnings, createTestRyot } from '../src/testing.js';

let warnings: string[] = [];
let restoreDiag: () => void = () => {};
beforeEach(() => {
  ({ warnings, restore: restoreDiag } = captureDiagWarnings());
});
afterEach(() => restoreDiag());

const GPU_FAMILIES = ['ryot_gpu_memory_usage_bytes', 'ryot_gpu_memory_reserved_bytes', 'ryot_gpu_utilization_percent', 'ryot_memory_efficiency_ratio'];

describe('gpu_id cardinality guard', () => {
  it('keeps 64 gpu_id values by default and folds the other 936 of 1000 into __overflow__', async () => {
    const harness = createTestRyot();
    for (let gpuId = 0; gpuId < 1000; gpuId++) {
      harness.api.updateGpuMetrics({ model: 'm', gpuId, usedBytes: gpuId + 1, reservedBytes: 2000, utilization: 50 });
    }
    const exposition = await harness.exposition();
    expect(exposition.errors).toEqual([]);
    for (const name of GPU_FAMILIES) {
      const ids = exposition.get(name, { model: 'm' }).map((s) => s.labels['gpu_id']);
      expect(ids, name).toHaveLength(65);
      expect(new Set(ids), name).toEqual(new Set([...Array.from({ length: 64 }, (_, i) => String(i)), OVERFLOW_LABEL]));
    }
    // The first 64 ids keep their own figures; the overflow series holds the last value written to it (id 999).
    expect(exposition.value('ryot_gpu_memory_usage_bytes', { model: 'm', gpu_id: '63' })).toBe(64);
    expect(exposition.value('ryot_gpu_memory_usage_bytes', { model: 'm', gpu_id: OVERFLOW_LABEL })).toBe(1000);
    expect(exposition.value('ryot_memory_efficiency_ratio', { model: 'm', gpu_id: OVERFLOW_LABEL })).toBe(0.5);
    const overflow = warnings.filter((w) => w.includes('gpu_id') && w.includes(OVERFLOW_LABEL));
    expect(overflow).toHaveLength(1);
    expect(overflow[0]).toContain('configure({ maxGpus })');
    expect(warnings).toHaveLength(1);
  });

  it('takes its bound from maxGpus, and a raised bound admits more ids without dropping the old ones', async () => {
    const harness = createTestRyot({ maxGpus: 4 });
    for (let gpuId = 0; gpuId < 10; gpuId++) harness.api.updateGpuMetrics({ model: 'm', gpuId, usedBytes: 1, reservedBytes: 2, utilization: 10 });
    let ids = (await harness.exposition()).get('ryot_gpu_utilization_percent').map((s) => s.labels['gpu_id']);
    expect(new Set(ids)).toEqual(new Set(['0', '1', '2', '3', OVERFLOW_LABEL]));
    harness.api.configure({ maxGpus: 6 });
    for (let gpuId = 10; gpuId < 20; gpuId++) harness.api.updateGpuMetrics({ model: 'm', gpuId, usedBytes: 1, reservedBytes: 2, utilization: 10 });
    ids = (await harness.exposition()).get('ryot_gpu_utilization_percent').map((s) => s.labels['gpu_id']);
    expect(new Set(ids)).toEqual(new Set(['0', '1', '2', '3', '10', '11', OVERFLOW_LABEL]));
  });

  it('rejects a maxGpus that is not a positive integer, naming the option', () => {
    for (const bad of [0, -1, 2.5, Number.NaN]) {
      expect(() => createTestRyot({ maxGpus: bad }), String(bad)).toThrow(/maxGpus/);
    }
  });
});
