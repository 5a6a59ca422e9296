/**
 * Every error @ryot/nvml throws or reports. NVML return codes map once, here, to
 * stable string codes (the names NVML's own header uses); unknown numbers become
 * `NVML_ERROR_CODE_<n>`. The native addon uses the same names (a test pins that).
 */

import { RyotError } from '@ryot/metrics/instrumentation';

export const NVML_RETURN_CODES = {
  NVML_SUCCESS: 0,
  NVML_ERROR_UNINITIALIZED: 1,
  NVML_ERROR_INVALID_ARGUMENT: 2,
  NVML_ERROR_NOT_SUPPORTED: 3,
  NVML_ERROR_NO_PERMISSION: 4,
  NVML_ERROR_ALREADY_INITIALIZED: 5,
  NVML_ERROR_NOT_FOUND: 6,
  NVML_ERROR_INSUFFICIENT_SIZE: 7,
  NVML_ERROR_INSUFFICIENT_POWER: 8,
  NVML_ERROR_DRIVER_NOT_LOADED: 9,
  NVML_ERROR_TIMEOUT: 10,
  NVML_ERROR_IRQ_ISSUE: 11,
  NVML_ERROR_LIBRARY_NOT_FOUND: 12,
  NVML_ERROR_FUNCTION_NOT_FOUND: 13,
  NVML_ERROR_CORRUPTED_INFOROM: 14,
  NVML_ERROR_GPU_IS_LOST: 15,
  NVML_ERROR_RESET_REQUIRED: 16,
  NVML_ERROR_OPERATING_SYSTEM: 17,
  NVML_ERROR_LIB_RM_VERSION_MISMATCH: 18,
  NVML_ERROR_IN_USE: 19,
  NVML_ERROR_MEMORY: 20,
  NVML_ERROR_NO_DATA: 21,
  NVML_ERROR_VGPU_ECC_NOT_SUPPORTED: 22,
  NVML_ERROR_INSUFFICIENT_RESOURCES: 23,
  NVML_ERROR_FREQ_NOT_SUPPORTED: 24,
  NVML_ERROR_ARGUMENT_VERSION_MISMATCH: 25,
  NVML_ERROR_DEPRECATED: 26,
  NVML_ERROR_NOT_READY: 27,
  NVML_ERROR_GPU_NOT_FOUND: 28,
  NVML_ERROR_INVALID_STATE: 29,
  NVML_ERROR_RESET_TYPE_NOT_SUPPORTED: 30,
  NVML_ERROR_UNKNOWN: 999,
} as const;

export type NvmlKnownErrorName = keyof typeof NVML_RETURN_CODES;
/** A known NVML return-code name, or `NVML_ERROR_CODE_<n>` for a number this version does not know. */
export type NvmlErrorName = NvmlKnownErrorName | `NVML_ERROR_CODE_${number}`;

const NAMES_BY_NUMBER = new Map<number, NvmlKnownErrorName>(
  (Object.entries(NVML_RETURN_CODES) as [NvmlKnownErrorName, number][]).map(([name, value]) => [value, name]),
);

export function nvmlErrorName(code: number): NvmlErrorName {
  return NAMES_BY_NUMBER.get(code) ?? `NVML_ERROR_CODE_${code}`;
}

/** Codes of errors that do not come from an NVML return value. */
export type RyotNvmlCode = 'RYOT_NVML_ADDON_LOAD' | 'RYOT_NVML_CONFIG_INVALID' | 'RYOT_NVML_CLOSED' | 'RYOT_NVML_UNAVAILABLE';

/** Base of every @ryot/nvml error: a RyotError whose `code` is an NVML return-code name or a RYOT_NVML_* code. */
export abstract class RyotNvmlError extends RyotError {
  abstract override readonly code: NvmlErrorName | RyotNvmlCode;
}

/** An NVML call returned an error (or the library/symbol could not be loaded: codes 12 and 13). */
export class NvmlError extends RyotNvmlError {
  readonly code: NvmlErrorName;
  /** The raw nvmlReturn_t value. */
  readonly nvmlReturn: number;
  /** The NVML symbol (or `dlopen`) that failed. */
  readonly call: string;
  constructor(code: number, call: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.nvmlReturn = code;
    this.code = nvmlErrorName(code);
    this.call = call;
  }
}

/** The native addon binary could not be loaded from any candidate location. */
export class NvmlAddonLoadError extends RyotNvmlError {
  readonly code = 'RYOT_NVML_ADDON_LOAD' as const;
  /** One line per location tried, with the reason it failed. */
  readonly attempts: readonly string[];
  constructor(message: string, attempts: readonly string[]) {
    super(message);
    this.attempts = attempts;
  }
}

/** An option had the wrong type or range; thrown before anything native runs. */
export class NvmlConfigError extends RyotNvmlError {
  readonly code = 'RYOT_NVML_CONFIG_INVALID' as const;
}

/** The session or handle was already closed. */
export class NvmlClosedError extends RyotNvmlError {
  readonly code = 'RYOT_NVML_CLOSED' as const;
}

/** NVML cannot be used here; `reason` says why (see NvmlStatus). */
export class NvmlUnavailableError extends RyotNvmlError {
  readonly code = 'RYOT_NVML_UNAVAILABLE' as const;
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

interface NativeErrorShape {
  message: string;
  nvmlReturn: number;
  call: string;
}

function isNativeNvmlError(value: unknown): value is NativeErrorShape {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.nvmlReturn === 'number' && typeof candidate.call === 'string' && typeof candidate.message === 'string';
}

/**
 * Turns an error thrown or rejected by the addon into an NvmlError. `site` is an
 * Error captured before the native call, so the stack points at user code.
 */
export function fromNative(error: unknown, site?: Error): Error {
  if (!isNativeNvmlError(error)) return error instanceof Error ? error : new Error(String(error));
  const wrapped = new NvmlError(error.nvmlReturn, error.call, error.message, { cause: error });
  if (site?.stack) wrapped.stack = `${wrapped.name}: ${wrapped.message}\n${site.stack.split('\n').slice(1).join('\n')}`;
  return wrapped;
}
