/**
 * NvmlSession: one nvmlInit held open for repeated samples, released by close().
 * NVML's own init is ref-counted, so several sessions (and the env cleanup hook
 * that shuts down whatever is still held at exit) compose.
 */
import { loadAddon } from './binding.js';
import { NvmlClosedError, NvmlConfigError, NvmlError, NvmlUnavailableError, RyotNvmlError, fromNative } from './errors.js';
import { decodeSample } from './decode.js';
import type { NativeBinding, NativeLoadInfo } from './internal-types.js';
import { formatCudaVersion, normalizeSample } from './normalize.js';
import type { GpuSnapshot, NvmlAvailable, NvmlOptions, NvmlStatus, NvmlUnavailable } from './types.js';

export function validateNvmlOptions(options: NvmlOptions): void {
  for (const key of ['libraryPath', 'addonPath'] as const) {
    const value: unknown = options[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new NvmlConfigError(`Expected a non-empty string for ${key} but received ${JSON.stringify(value)} of type ${typeof value}`);
    }
  }
}

function unavailable(reason: NvmlUnavailable['reason'], message: string, error?: NvmlUnavailable['error']): NvmlUnavailable {
  return error === undefined ? { available: false, reason, message } : { available: false, reason, message, error };
}

function initFailure(error: NvmlError, info: NativeLoadInfo): NvmlUnavailable {
  if (info.stub) {
    return unavailable(
      'stub-library',
      `${info.path} is the CUDA toolkit's link-time stub, not the driver's NVML (${error.code}). ` +
        'Remove its directory from LD_LIBRARY_PATH or set RYOT_NVML_LIBRARY to the driver-installed libnvidia-ml.so.1.',
      error,
    );
  }
  return unavailable(
    'init-failed',
    `nvmlInit failed with ${error.code} (${error.nvmlReturn}) using ${info.path}. ` +
      'Check that the NVIDIA kernel driver is loaded (nvidia-smi works) and that this process may open /dev/nvidia*.',
    error,
  );
}

export class NvmlSession {
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly binding: NativeBinding,
    readonly status: NvmlAvailable,
  ) {}

  /**
   * Loads the addon, dlopens NVML and runs nvmlInit off the JS thread. Resolves
   * with a session, or with the reason NVML cannot be used. Never rejects for an
   * environment problem; rejects only for invalid options.
   */
  static async open(options: NvmlOptions = {}): Promise<NvmlSession | NvmlUnavailable> {
    validateNvmlOptions(options);
    let addon;
    try {
      addon = loadAddon(options.addonPath);
    } catch (error) {
      const cause = error instanceof RyotNvmlError ? error : undefined;
      return unavailable('addon-not-loaded', error instanceof Error ? error.message : String(error), cause);
    }
    let info: NativeLoadInfo;
    try {
      info = addon.binding.open(options.libraryPath);
    } catch (error) {
      const wrapped = fromNative(error);
      const detail = wrapped.message;
      return unavailable(
        'library-not-found',
        `Cannot load NVML (${detail}). Install the NVIDIA driver, or set RYOT_NVML_LIBRARY (or libraryPath) to its libnvidia-ml.so.1.`,
        wrapped instanceof NvmlError ? wrapped : undefined,
      );
    }
    if (info.symbols.init === null) {
      return unavailable(
        'init-symbol-missing',
        `${info.path} exports neither nvmlInit_v2 nor nvmlInit; it is not a usable NVML library${info.stub ? ' (it looks like the CUDA link stub)' : ''}.`,
      );
    }
    try {
      const system = decodeSample(await addon.binding.init(), addon.binding.constants.layout);
      const status: NvmlAvailable = {
        available: true,
        libraryPath: info.path,
        addonPath: addon.file,
        driverVersion: system.driverVersion,
        nvmlVersion: system.nvmlVersion,
        cudaDriverVersion: formatCudaVersion(system.cudaDriverVersion),
        deviceCount: system.deviceCount ?? null,
        symbols: { ...info.symbols },
      };
      return new NvmlSession(addon.binding, status);
    } catch (error) {
      const wrapped = fromNative(error);
      if (wrapped instanceof NvmlError) return initFailure(wrapped, info);
      return unavailable('init-failed', `nvmlInit failed: ${wrapped.message}`);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** One snapshot of every device, taken on a worker thread. */
  async sample(): Promise<GpuSnapshot> {
    if (this.closed) throw new NvmlClosedError('This NVML session is closed');
    const site = new Error();
    const startedAt = Date.now();
    try {
      const raw = decodeSample(await this.binding.sample(), this.binding.constants.layout);
      return normalizeSample(raw, startedAt, Date.now());
    } catch (error) {
      throw fromNative(error, site);
    }
  }

  /** Releases this session's nvmlInit (nvmlShutdown off the JS thread). Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = this.binding.shutdown().catch((error: unknown) => {
      throw fromNative(error);
    });
    return this.closing;
  }

  /** @internal The raw binding, for benchmarks. */
  get nativeBinding(): NativeBinding {
    return this.binding;
  }
}

/** Opens a session or throws NvmlUnavailableError carrying the status reason. */
export async function openNvml(options: NvmlOptions = {}): Promise<NvmlSession> {
  const result = await NvmlSession.open(options);
  if (result instanceof NvmlSession) return result;
  throw new NvmlUnavailableError(result.reason, result.message, { cause: result.error });
}

/** NVML status with a human reason; opens and closes a session to find out. */
export async function getNvmlStatus(options: NvmlOptions = {}): Promise<NvmlStatus> {
  const result = await NvmlSession.open(options);
  if (!(result instanceof NvmlSession)) return result;
  await result.close().catch(() => undefined);
  return result.status;
}

export async function isAvailable(options: NvmlOptions = {}): Promise<boolean> {
  return (await getNvmlStatus(options)).available;
}

/** A one-shot snapshot: open, sample, close. For repeated samples use openNvml(). */
export async function sampleDevices(options: NvmlOptions = {}): Promise<GpuSnapshot> {
  const session = await openNvml(options);
  try {
    return await session.sample();
  } finally {
    await session.close().catch(() => undefined);
  }
}
