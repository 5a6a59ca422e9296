/** Maps a snapshot onto the catalog's hw.* / ryot.gpu.* instruments (one batch callback). */
import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import { METRICS, createInstrument } from '@ryot/metrics';
import type { GpuDeviceSample, GpuSnapshot } from './types.js';

export const HW_VENDOR = 'nvidia';
export const HW_TYPE = 'gpu';

export interface GpuInstruments {
  memoryUsage: Observable;
  memoryLimit: Observable;
  memoryUtilization: Observable;
  utilization: Observable;
  power: Observable;
  energy: Observable;
  temperature: Observable;
  powerLimit: Observable;
  memoryReserved: Observable;
  clockSm: Observable;
  clockMemory: Observable;
  processMemory: Observable;
}

export function createGpuInstruments(meter: Meter): GpuInstruments {
  return {
    memoryUsage: createInstrument(meter, METRICS.hwGpuMemoryUsage),
    memoryLimit: createInstrument(meter, METRICS.hwGpuMemoryLimit),
    memoryUtilization: createInstrument(meter, METRICS.hwGpuMemoryUtilization),
    utilization: createInstrument(meter, METRICS.hwGpuUtilization),
    power: createInstrument(meter, METRICS.hwPower),
    energy: createInstrument(meter, METRICS.hwEnergy),
    temperature: createInstrument(meter, METRICS.hwTemperature),
    powerLimit: createInstrument(meter, METRICS.gpuPowerLimit),
    memoryReserved: createInstrument(meter, METRICS.gpuDeviceMemoryReserved),
    clockSm: createInstrument(meter, METRICS.gpuClockSm),
    clockMemory: createInstrument(meter, METRICS.gpuClockMemory),
    processMemory: createInstrument(meter, METRICS.gpuProcessMemoryUsage),
  };
}

export function instrumentList(instruments: GpuInstruments): Observable[] {
  return Object.values(instruments);
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
    observeIf(result, instruments.memoryUsage, used, attributes);
    observeIf(result, instruments.memoryLimit, total, attributes);
    observeIf(result, instruments.memoryUtilization, total !== null && used !== null && total > 0 ? used / total : null, attributes);
    const gpu = device.utilizationGpuPercent;
    observeIf(result, instruments.utilization, gpu !== null ? gpu / 100 : null, { ...attributes, 'hw.gpu.task': 'general' });
    observeIf(result, instruments.power, device.powerWatts, attributes);
    observeIf(result, instruments.energy, device.energyJoules, attributes);
    observeIf(result, instruments.temperature, device.temperatureCelsius, attributes);
    observeIf(result, instruments.powerLimit, device.powerLimitWatts, attributes);
    observeIf(result, instruments.memoryReserved, device.memoryReservedBytes, attributes);
    observeIf(result, instruments.clockSm, device.clockSmMHz, attributes);
    observeIf(result, instruments.clockMemory, device.clockMemoryMHz, attributes);
    observeIf(result, instruments.processMemory, device.processMemoryBytes, attributes);
  }
}
