import type { NvmlError, NvmlErrorName, RyotNvmlError } from './errors.js';

export interface NvmlOptions {
  /** Path of libnvidia-ml.so.1 to dlopen. Default: RYOT_NVML_LIBRARY, else the soname libnvidia-ml.so.1. */
  libraryPath?: string;
  /** Path of a built ryot_nvml.node. Default: RYOT_NVML_ADDON, else node-gyp-build over the package. */
  addonPath?: string;
}

/** Why NVML cannot be used; stable values for code to branch on. */
export type NvmlUnavailableReason =
  | 'addon-not-loaded'
  | 'library-not-found'
  | 'stub-library'
  | 'init-symbol-missing'
  | 'init-failed'
  | 'closed';

export interface NvmlAvailable {
  readonly available: true;
  /** The file the dynamic linker mapped for libnvidia-ml. */
  readonly libraryPath: string;
  readonly addonPath: string;
  readonly driverVersion: string | null;
  readonly nvmlVersion: string | null;
  /** e.g. "12.8" (from nvmlSystemGetCudaDriverVersion), or null. */
  readonly cudaDriverVersion: string | null;
  readonly deviceCount: number | null;
  /** Entry point chosen for each slot (null when the driver lacks it; those fields report FUNCTION_NOT_FOUND). */
  readonly symbols: Readonly<Record<string, string | null>>;
}

export interface NvmlUnavailable {
  readonly available: false;
  readonly reason: NvmlUnavailableReason;
  /** A sentence for humans: what failed and what to do about it. */
  readonly message: string;
  readonly error?: RyotNvmlError | NvmlError;
}

export type NvmlStatus = NvmlAvailable | NvmlUnavailable;

/** Per-device fields that can fail on their own; keys of GpuDeviceSample.errors. */
export type GpuDeviceField =
  | 'name'
  | 'uuid'
  | 'pciBusId'
  | 'memoryTotalBytes'
  | 'memoryUsedBytes'
  | 'memoryFreeBytes'
  | 'memoryReservedBytes'
  | 'utilizationGpuPercent'
  | 'utilizationMemoryPercent'
  | 'temperatureCelsius'
  | 'powerWatts'
  | 'powerLimitWatts'
  | 'energyJoules'
  | 'clockSmMHz'
  | 'clockMemoryMHz'
  | 'processMemoryBytes';

/** One device. A null value means NVML did not give it; `errors` says why. */
export interface GpuDeviceSample {
  /** NVML index (same order as nvidia-smi; not necessarily CUDA's order). */
  readonly index: number;
  /** Set when no handle could be had for the device (e.g. NVML_ERROR_GPU_IS_LOST); every field is then null. */
  readonly handleError: NvmlErrorName | null;
  readonly name: string | null;
  readonly uuid: string | null;
  readonly pciBusId: string | null;
  /** 2 when nvmlDeviceGetMemoryInfo_v2 answered (used excludes reserved), 1 for the v1 fallback (used includes it). */
  readonly memoryInfoVersion: 1 | 2 | null;
  readonly memoryTotalBytes: number | null;
  readonly memoryUsedBytes: number | null;
  readonly memoryFreeBytes: number | null;
  /** Driver/firmware reservation; v2 only. */
  readonly memoryReservedBytes: number | null;
  readonly utilizationGpuPercent: number | null;
  readonly utilizationMemoryPercent: number | null;
  readonly temperatureCelsius: number | null;
  readonly powerWatts: number | null;
  readonly powerLimitWatts: number | null;
  /** Counter since the driver was loaded. */
  readonly energyJoules: number | null;
  readonly clockSmMHz: number | null;
  readonly clockMemoryMHz: number | null;
  /** GPU memory held by this process on the device (0 when it has no context there). */
  readonly processMemoryBytes: number | null;
  /** Whether this process appears in the device's compute-process list. */
  readonly processPresent: boolean;
  readonly processCount: number | null;
  readonly errors: Readonly<Partial<Record<GpuDeviceField, NvmlErrorName>>>;
}

export interface GpuSnapshot {
  /** Date.now() when the sample completed. */
  readonly timestamp: number;
  /** Wall time the native sample took. */
  readonly durationMs: number;
  readonly driverVersion: string | null;
  readonly nvmlVersion: string | null;
  readonly cudaDriverVersion: string | null;
  readonly devices: readonly GpuDeviceSample[];
  /** System-level failures (driverVersion, nvmlVersion, cudaDriverVersion, deviceCount). */
  readonly errors: Readonly<Record<string, NvmlErrorName>>;
}
