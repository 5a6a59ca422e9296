/** Converts the addon's raw NVML units to the public snapshot (W, J, bytes, MHz, %, °C). */
import type { NvmlErrorName } from './errors.js';
import type { NativeDevice, NativeSample } from './internal-types.js';
import type { GpuDeviceField, GpuDeviceSample, GpuSnapshot } from './types.js';

const MILLI = 1000;

function scaled(value: number | null | undefined, divisor: number): number | null {
  return typeof value === 'number' ? value / divisor : null;
}

/** The addon names codes with the same table as errors.ts (pinned by a test). */
function asName(value: string): NvmlErrorName {
  return value as NvmlErrorName;
}

/** Native error keys that are renamed by the unit conversion. */
const RENAMED: Record<string, GpuDeviceField> = {
  powerMilliwatts: 'powerWatts',
  powerLimitMilliwatts: 'powerLimitWatts',
  energyMillijoules: 'energyJoules',
  clockSmMhz: 'clockSmMHz',
  clockMemoryMhz: 'clockMemoryMHz',
};

function deviceErrors(raw: Record<string, string>): Partial<Record<GpuDeviceField, NvmlErrorName>> {
  const errors: Partial<Record<GpuDeviceField, NvmlErrorName>> = {};
  for (const [key, value] of Object.entries(raw)) {
    errors[RENAMED[key] ?? (key as GpuDeviceField)] = asName(value);
  }
  return errors;
}

/** "12.8" from 12080 (major = v / 1000, minor = (v % 1000) / 10). */
export function formatCudaVersion(value: number | null | undefined): string | null {
  if (typeof value !== 'number' || value <= 0) return null;
  return `${Math.floor(value / 1000)}.${Math.floor((value % 1000) / 10)}`;
}

export function normalizeDevice(raw: NativeDevice): GpuDeviceSample {
  const version = raw.memoryVersion === 1 || raw.memoryVersion === 2 ? raw.memoryVersion : null;
  return {
    index: raw.index,
    handleError: raw.handleError !== undefined ? asName(raw.handleError) : null,
    name: raw.name ?? null,
    uuid: raw.uuid ?? null,
    pciBusId: raw.pciBusId ?? null,
    memoryInfoVersion: version,
    memoryTotalBytes: raw.memoryTotalBytes ?? null,
    memoryUsedBytes: raw.memoryUsedBytes ?? null,
    memoryFreeBytes: raw.memoryFreeBytes ?? null,
    memoryReservedBytes: raw.memoryReservedBytes ?? null,
    utilizationGpuPercent: raw.utilizationGpuPercent ?? null,
    utilizationMemoryPercent: raw.utilizationMemoryPercent ?? null,
    temperatureCelsius: raw.temperatureCelsius ?? null,
    powerWatts: scaled(raw.powerMilliwatts, MILLI),
    powerLimitWatts: scaled(raw.powerLimitMilliwatts, MILLI),
    energyJoules: scaled(raw.energyMillijoules, MILLI),
    clockSmMHz: raw.clockSmMhz ?? null,
    clockMemoryMHz: raw.clockMemoryMhz ?? null,
    processMemoryBytes: raw.processMemoryBytes ?? null,
    processPresent: raw.processPresent ?? false,
    processCount: raw.handleError === undefined && raw.processMemoryBytes !== null ? (raw.processCount ?? null) : null,
    errors: deviceErrors(raw.errors),
  };
}

export function normalizeSample(raw: NativeSample, startedAt: number, now: number): GpuSnapshot {
  const errors: Record<string, NvmlErrorName> = {};
  for (const [key, value] of Object.entries(raw.errors)) errors[key] = asName(value);
  return {
    timestamp: now,
    durationMs: now - startedAt,
    driverVersion: raw.driverVersion,
    nvmlVersion: raw.nvmlVersion,
    cudaDriverVersion: formatCudaVersion(raw.cudaDriverVersion),
    devices: raw.devices.map(normalizeDevice),
    errors,
  };
}
