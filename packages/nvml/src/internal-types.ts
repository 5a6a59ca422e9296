/** Shapes the native addon produces. Never re-exported from index.ts. */

export interface NativeLoadInfo {
  requested: string;
  path: string;
  stub: boolean;
  /** Slot name -> the symbol that filled it, or null when the library lacks every candidate. */
  symbols: Record<string, string | null>;
}

/** What crosses the boundary: codes, numbers and strings in the order constants.layout names. */
export interface NativePacked {
  codes: Int32Array;
  values: Float64Array;
  strings: string[];
  devices: number;
}

export interface NativeLayout {
  systemStrings: string[];
  systemValues: string[];
  deviceStrings: string[];
  deviceValues: string[];
}

/** A decoded system part; errors hold NVML code names. */
export interface NativeSystemInfo {
  driverVersion: string | null;
  nvmlVersion: string | null;
  cudaDriverVersion: number | null;
  deviceCount: number | null;
  errors: Record<string, string>;
}

export interface NativeDevice {
  index: number;
  handleError?: string;
  errors: Record<string, string>;
  name?: string | null;
  uuid?: string | null;
  pciBusId?: string | null;
  memoryVersion?: number | null;
  memoryTotalBytes?: number | null;
  memoryUsedBytes?: number | null;
  memoryFreeBytes?: number | null;
  memoryReservedBytes?: number | null;
  utilizationGpuPercent?: number | null;
  utilizationMemoryPercent?: number | null;
  temperatureCelsius?: number | null;
  powerMilliwatts?: number | null;
  powerLimitMilliwatts?: number | null;
  energyMillijoules?: number | null;
  clockSmMhz?: number | null;
  clockMemoryMhz?: number | null;
  processMemoryBytes?: number | null;
  processPresent?: boolean;
  processCount?: number;
}

export interface NativeSample extends NativeSystemInfo {
  devices: NativeDevice[];
}

export interface NativeBinding {
  open(path?: string): NativeLoadInfo;
  init(): Promise<NativePacked>;
  shutdown(): Promise<void>;
  sample(): Promise<NativePacked>;
  /** Same as sample() but on the calling thread; benchmarks only. */
  sampleBlocking(): NativePacked;
  errorName(code: number): string;
  constants: { memoryV2Version: number; temperatureV1Version: number; napiVersion: number; layout: NativeLayout };
}
