/**
 * Feeds a model's ryot_gpu_* gauges (model, gpu_id) from NVML figures:
 *   used      = this process's GPU memory on the device (NVML compute-process list)
 *   reserved  = the device's total memory
 *   utilization = device-wide utilization.gpu (percent)
 * so ryot_memory_efficiency_ratio = the share of the device this process holds.
 * See README "Model gauges" for why these are not allocator figures.
 */
import type { GpuMetricsUpdate } from '@ryot/metrics';
import type { GpuSnapshot } from './types.js';

export type GpuMetricsSink = (update: GpuMetricsUpdate) => void;

export function modelGaugeUpdates(snapshot: GpuSnapshot, model: string): GpuMetricsUpdate[] {
  const updates: GpuMetricsUpdate[] = [];
  for (const device of snapshot.devices) {
    // Only devices where this process actually holds a context: a model label on
    // GPUs the model does not use would be a false series.
    if (device.handleError !== null || !device.processPresent || device.processMemoryBytes === null) continue;
    const update: GpuMetricsUpdate = { model, gpuId: String(device.index), usedBytes: device.processMemoryBytes };
    if (device.memoryTotalBytes !== null) update.reservedBytes = device.memoryTotalBytes;
    if (device.utilizationGpuPercent !== null) update.utilization = device.utilizationGpuPercent;
    updates.push(update);
  }
  return updates;
}
