import { describe, expect, it } from 'vitest';
import { builtInClassifyError as classifyError, type ErrorType } from '../src/instrumentation.js';

const cases: Array<[string, unknown, ErrorType]> = [
  ['torch OOM message', new Error('CUDA out of memory. Tried to allocate 20.00 MiB'), 'oom'],
  ['CUDA driver error', new Error('CUDA error: device-side assert triggered'), 'cuda'],
  ['NCCL failure', new Error('NCCL error: unhandled system error'), 'cuda'],
  ['AbortSignal.timeout()', new DOMException('signal timed out', 'TimeoutError'), 'timeout'],
  ['AbortController.abort()', new DOMException('This operation was aborted', 'AbortError'), 'cancelled'],
  ['abort caused by a timeout', Object.assign(new DOMException('aborted', 'AbortError'), { cause: new DOMException('t', 'TimeoutError') }), 'timeout'],
  ['HTTP 429', Object.assign(new Error('Too Many Requests'), { status: 429 }), 'rate_limit'],
  ['HTTP 400', Object.assign(new Error('Bad Request'), { status: 400 }), 'invalid_request'],
  ['HTTP 422 via statusCode', Object.assign(new Error('Unprocessable'), { statusCode: 422 }), 'invalid_request'],
  ['HTTP 408', Object.assign(new Error('Request Timeout'), { status: 408 }), 'timeout'],
  ['axios-style response.status 429', Object.assign(new Error('x'), { response: { status: 429 } }), 'rate_limit'],
  ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'connection'],
  ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'connection'],
  ['undici fetch failed with cause', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }), 'connection'],
  ['ETIMEDOUT', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), 'timeout'],
  ['message says timed out', new Error('upstream request timed out after 30s'), 'timeout'],
  ['a string thrown', 'out of memory', 'oom'],
  ['null', null, 'unknown'],
  ['plain error', new Error('something else'), 'unknown'],
  ['HTTP 500', Object.assign(new Error('Internal'), { status: 500 }), 'unknown'],
  ["Anthropic's HTTP 529 (overloaded)", Object.assign(new Error('Overloaded'), { status: 529 }), 'rate_limit'],
  ['a stream error event: overloaded_error in the body, no status', Object.assign(new Error('Overloaded'), { error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }), 'rate_limit'],
  ['an error type on the error itself', Object.assign(new Error('bad'), { type: 'invalid_request_error' }), 'invalid_request'],
  ['the status wins over the body type', Object.assign(new Error('x'), { status: 429, type: 'invalid_request_error' }), 'rate_limit'],
  ['an unknown body type', Object.assign(new Error('x'), { type: 'api_error' }), 'unknown'],
];

describe('classifyError', () => {
  it.each(cases)('%s → %s', (_label, error, expected) => {
    expect(classifyError(error)).toBe(expected);
  });

  it('terminates on a cause cycle', () => {
    const a: { cause?: unknown; message: string } = { message: 'a' };
    const b = { message: 'b', cause: a };
    a.cause = b;
    expect(classifyError(a)).toBe('unknown');
  });
});
