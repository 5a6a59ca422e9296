import { diag, type MeterProvider } from '@opentelemetry/api';

export type RegisterGpuMetrics = (options?: { meterProvider?: MeterProvider; intervalMs?: number }) => unknown;

export type GpuModuleLoader = () => Promise<unknown>;

const NVML_PACKAGE = '@ryot/nvml';

/** A variable specifier keeps bundlers and tsc from requiring the optional peer. */
export const loadNvmlModule: GpuModuleLoader = () => import(NVML_PACKAGE);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function findRegister(module: unknown): RegisterGpuMetrics | undefined {
  if (!isRecord(module)) return undefined;
  const direct = module['registerGpuMetrics'];
  if (typeof direct === 'function') return direct as RegisterGpuMetrics;
  const fallback = module['default'];
  if (isRecord(fallback) && typeof fallback['registerGpuMetrics'] === 'function') {
    return fallback['registerGpuMetrics'] as RegisterGpuMetrics;
  }
  return undefined;
}

/** How long startTelemetry waits for NVML to answer before it carries on with the gauges registered. */
const NVML_READY_WAIT_MS = 2000;

/** The handle's `ready` status, or undefined when it has none or NVML has not answered in time (a hung init). */
async function settledStatus(ready: unknown): Promise<unknown> {
  if (!isRecord(ready) || typeof ready['then'] !== 'function') return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), NVML_READY_WAIT_MS);
    timer.unref();
  });
  try {
    return await Promise.race([ready as unknown as Promise<unknown>, timeout]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts @ryot/nvml's GPU gauges on `meterProvider` when that optional package can be
 * loaded. Never throws: a missing package, a missing driver or a failing start is
 * logged at debug/warn level and yields undefined.
 */
export async function startGpuMetrics(
  meterProvider: MeterProvider,
  intervalMs: number | undefined,
  load: GpuModuleLoader = loadNvmlModule,
): Promise<(() => Promise<void>) | undefined> {
  let register: RegisterGpuMetrics | undefined;
  try {
    register = findRegister(await load());
  } catch (error) {
    diag.debug(`@ryot/exporters: ${NVML_PACKAGE} not available, GPU metrics off`, error);
    return undefined;
  }
  if (register === undefined) {
    diag.warn(`@ryot/exporters: ${NVML_PACKAGE} has no registerGpuMetrics export, GPU metrics off`);
    return undefined;
  }
  try {
    const handle: unknown = await register(intervalMs === undefined ? { meterProvider } : { meterProvider, intervalMs });
    if (!isRecord(handle)) return undefined;
    const stop = typeof handle['shutdown'] === 'function' ? handle['shutdown'] : handle['stop'];
    if (typeof stop !== 'function') return undefined;
    const status = await settledStatus(handle['ready']);
    if (isRecord(status) && status['available'] === false) {
      // No usable NVML (no driver, a stub library, init failure): no GPU gauges, and say so once.
      diag.info(`@ryot/exporters: GPU metrics off: ${String(status['message'] ?? status['reason'])}`);
      await (stop as () => unknown).call(handle);
      return undefined;
    }
    return async () => {
      try {
        await (stop as () => unknown).call(handle);
      } catch (error) {
        diag.warn('@ryot/exporters: stopping GPU metrics failed', error);
      }
    };
  } catch (error) {
    diag.warn('@ryot/exporters: GPU metrics could not start', error);
    return undefined;
  }
}
