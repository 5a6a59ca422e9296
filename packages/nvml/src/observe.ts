/** Maps a snapshot onto the catalog's hw.* / ryot.gpu.* instruments (one batch callback). */
import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import { createInstruments, metricKeysIn, type InstrumentSet, type MetricKeyIn } from '@ryot/metrics/instrumentation';
import type { GpuDeviceSample, GpuSnapshot } from './types.js';

export const HW_VENDOR = 'nvidia';
export const HW_TYPE = 'gpu';

const HARDWARE_KEYS = metricKeysIn('hardware');

/** Every catalog metric of the `hardware` group, as instruments on one meter. */
export type GpuInstruments = InstrumentSet<MetricKeyIn<'hardware'>>;

export function createGpuInstruments(meter: Meter): GpuInstruments {
  return createInstruments(meter, HARDWARE_KEYS);
}

export function instrumentList(instruments: GpuInstruments): Observable[] {
  return HARDWARE_KEYS.map((key) => instruments[key]);
}

/** hw.id is the UUID (stable across reboots and index reordering); PCI bus id or index only if NVML gave no UUID. */
export function deviceAttributes(device: GpuDeviceSample): Attributes {
  const id = device.uuid ?? (device.pciBusId !== null ? `pci-${device.pciBusId}` : `nvml-index-${device.index}`);
  return { 'hw.id': id, 'hw.name': device.name ?? 'unknown', 'hw.vendor': HW_VENDOR, 'hw.type': HW_TYPE };
}

function observeIf(result: BatchObservableResult, instrument: Observable, value: number | null, attributes: Attributes): void {
  if (value !== null && Number.isFinite(value)) result.observe(instrument, value, attributes);
}

/** Observes every field the snapshot has; a null field (not supported, failed) gives no point. */
export function observeSnapshot(result: BatchObservableResult, instruments: GpuInstruments, snapshot: GpuSnapshot): void {
  for (const device of snapshot.devices) {
    if (device.handleError !== null) continue;
    const attributes = deviceAttributes(device);
    const total = device.memoryTotalBytes;
    const used = device.memoryUsedBytes;
    observeIf(result, instruments.hwGpuMemoryUsage, used, attributes);
    observeIf(result, instruments.hwGpuMemoryLimit, total, attributes);
    observeIf(result, instruments.hwGpuMemoryUtilization, total !== null && used !== null && total > 0 ? used / total : null, attributes);
    const gpu = device.utilizationGpuPercent;
    observeIf(result, instruments.hwGpuUtilization, gpu !== null ? gpu / 100 : null, { ...attributes, 'hw.gpu.task': 'general' });
    observeIf(result, instruments.hwPower, device.powerWatts, attributes);
    observeIf(result, instruments.hwEnergy, device.energyJoules, attributes);
    observeIf(result, instruments.hwTemperature, device.temperatureCelsius, attributes);
    observeIf(result, instruments.gpuPowerLimit, device.powerLimitWatts, attributes);
    observeIf(result, instruments.gpuDeviceMemoryReserved, device.memoryReservedBytes, attributes);
    observeIf(result, instruments.gpuClockSm, device.clockSmMHz, attributes);
    observeIf(result, instruments.gpuClockMemory, device.clockMemoryMHz, attributes);
    observeIf(result, instruments.gpuProcessMemoryUsage, device.processMemoryBytes, attributes);
  }
}
