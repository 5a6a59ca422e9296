import type { ModelSpec } from './model-spec.js';

/** Errors shaped like the ones real engines raise, so the Ryot classifier sees realistic input. */
export function outOfMemory(spec: ModelSpec): Error {
  return new Error(`CUDA out of memory. Tried to allocate 2.00 GiB (GPU ${spec.gpuId}; ${spec.name})`);
}

export function cudaError(): Error {
  return new Error('CUDA error: an illegal memory access was encountered');
}

export function requestTimeout(ms: number): DOMException {
  return new DOMException(`no token for ${ms} ms`, 'TimeoutError');
}
