export { registerGpuMetrics, DEFAULT_INTERVAL_MS } from './gpu-metrics.js';
export type { GpuMetricsHandle, GpuMetricsOptions, GpuMetricsState } from './gpu-metrics.js';
export { NvmlSession, openNvml, getNvmlStatus, isAvailable, sampleDevices } from './session.js';
export { modelGaugeUpdates } from './model-gauges.js';
export type { GpuMetricsSink } from './model-gauges.js';
export { deviceAttributes } from './observe.js';
export { ADDON_ENV_VAR } from './binding.js';
export {
  NVML_RETURN_CODES,
  nvmlErrorName,
  RyotNvmlError,
  NvmlError,
  NvmlAddonLoadError,
  NvmlConfigError,
  NvmlClosedError,
  NvmlUnavailableError,
} from './errors.js';
export type { NvmlErrorName, NvmlKnownErrorName, RyotNvmlCode } from './errors.js';
export type {
  NvmlOptions,
  NvmlStatus,
  NvmlAvailable,
  NvmlUnavailable,
  NvmlUnavailableReason,
  GpuSnapshot,
  GpuDeviceSample,
  GpuDeviceField,
} from './types.js';

/** Environment variable that overrides the libnvidia-ml path (same as the libraryPath option). */
export const LIBRARY_ENV_VAR = 'RYOT_NVML_LIBRARY';
