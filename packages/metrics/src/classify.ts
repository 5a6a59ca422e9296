import { ERROR_TYPES, type ErrorType, type RequestStatus } from './catalog.js';
import { safeString, type Diagnostics } from './diagnostics.js';

export type ErrorClassifier = (error: unknown) => ErrorType | undefined;

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_OPERATION_TIMEOUT',
]);

const OOM_PATTERN = /out of memory|\boom\b|CUDA_ERROR_OUT_OF_MEMORY|cudaErrorMemoryAllocation|insufficient (gpu|device) memory/i;
const CUDA_PATTERN = /\bcuda|cublas|cudnn|nccl|\bxid\b|illegal memory access|device-side assert/i;
const TIMEOUT_PATTERN = /timed? ?out|deadline exceeded/i;

/**
 * The `type` of provider API error bodies (OpenAI's and Anthropic's, also sent inside a stream's error event), for
 * errors that carry no HTTP status. `overloaded_error` (Anthropic's 529) is the provider shedding load: rate_limit.
 */
const PROVIDER_ERROR_TYPES: Readonly<Record<string, ErrorType>> = {
  rate_limit_error: 'rate_limit',
  rate_limit_exceeded: 'rate_limit',
  overloaded_error: 'rate_limit',
  invalid_request_error: 'invalid_request',
  authentication_error: 'invalid_request',
  permission_error: 'invalid_request',
  not_found_error: 'invalid_request',
  request_too_large: 'invalid_request',
  timeout_error: 'timeout',
};

/** Reads a property of a thrown value; a throwing getter or proxy trap reads as absent. */
function field(error: object, key: string): unknown {
  try {
    return (error as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function httpStatus(error: object): number | undefined {
  for (const candidate of [field(error, 'status'), field(error, 'statusCode')]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate)) return candidate;
  }
  const response = field(error, 'response');
  if (response && typeof response === 'object') {
    const status = field(response, 'status');
    if (typeof status === 'number') return status;
  }
  return undefined;
}

/** The error_type of a provider error body's `type` or `code`: on the error itself, or in its `error` (or `error.error`) body. */
function providerErrorType(error: object): ErrorType | undefined {
  let candidate: unknown = error;
  for (let level = 0; level < 3 && candidate && typeof candidate === 'object'; level++) {
    for (const key of ['type', 'code']) {
      const type = field(candidate, key);
      if (typeof type === 'string' && Object.prototype.hasOwnProperty.call(PROVIDER_ERROR_TYPES, type)) return PROVIDER_ERROR_TYPES[type];
    }
    candidate = field(candidate, 'error');
  }
  return undefined;
}

/**
 * Maps a thrown value to an error_type. Order matters: "CUDA out of memory" is an OOM,
 * an aborted fetch whose reason was a timeout is a timeout.
 */
export function classifyError(error: unknown, depth = 0): ErrorType {
  if (error === null || error === undefined) return 'unknown';
  if (typeof error !== 'object' && typeof error !== 'function') {
    const text = safeString(error);
    if (OOM_PATTERN.test(text)) return 'oom';
    if (CUDA_PATTERN.test(text)) return 'cuda';
    if (TIMEOUT_PATTERN.test(text)) return 'timeout';
    return 'unknown';
  }
  const name = field(error, 'name');
  const code = field(error, 'code');
  const message = field(error, 'message');
  const text = `${typeof name === 'string' ? name : ''} ${typeof message === 'string' ? message : ''}`;

  if (name === 'TimeoutError' || (typeof code === 'string' && TIMEOUT_CODES.has(code))) return 'timeout';
  if (name === 'AbortError' || code === 'ABORT_ERR' || code === 20) {
    const cause = field(error, 'cause');
    if (cause && typeof cause === 'object' && field(cause, 'name') === 'TimeoutError') return 'timeout';
    return 'cancelled';
  }
  const status = httpStatus(error);
  if (status !== undefined) {
    if (status === 429 || status === 529) return 'rate_limit';
    if (status === 408 || status === 504) return 'timeout';
    if (status === 499) return 'cancelled';
    if (status === 507) return 'oom';
    if (status >= 400 && status < 500) return 'invalid_request';
  }
  const providerType = providerErrorType(error);
  if (providerType !== undefined) return providerType;
  if (OOM_PATTERN.test(text)) return 'oom';
  if (CUDA_PATTERN.test(text)) return 'cuda';
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'connection';
  const cause = field(error, 'cause');
  if (cause && typeof cause === 'object' && depth < 4) {
    const fromCause = classifyError(cause, depth + 1);
    if (fromCause !== 'unknown') return fromCause;
  }
  if (TIMEOUT_PATTERN.test(text)) return 'timeout';
  return 'unknown';
}

/** The request status an error of this type ends with. */
export function statusForErrorType(errorType: ErrorType): RequestStatus {
  if (errorType === 'timeout') return 'timeout';
  if (errorType === 'cancelled') return 'cancelled';
  return 'error';
}

const ERROR_TYPE_SET: ReadonlySet<unknown> = new Set(ERROR_TYPES);

/**
 * Where a failure is classified: the user's classifier first (a result outside the vocabulary, or a throw, falls
 * back with one diagnostic), then the built-in one. Never throws. InferenceContext calls it once per failure.
 */
export function classifyFailure(error: unknown, custom: ErrorClassifier | undefined, diagnostics: Diagnostics): ErrorType {
  if (custom) {
    try {
      const result = custom(error);
      if (result !== undefined) {
        if (ERROR_TYPE_SET.has(result)) return result;
        diagnostics.warnOnce('classifier-result', () => `classifyError returned ${safeString(result)}, which is not an error_type; using the built-in classifier.`);
      }
    } catch (classifierError) {
      diagnostics.warnOnce('classifier-threw', () => `classifyError threw (${safeString(classifierError)}); using the built-in classifier.`);
    }
  }
  return classifyError(error);
}
