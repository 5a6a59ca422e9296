import OpenAI from 'openai';
import { chatChunkEvent } from '../../../test/helpers/clients.js';

export * from '../../../test/helpers/clients.js';

export function openaiClient(baseURL: string, options: { maxRetries?: number } = {}): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL, maxRetries: options.maxRetries ?? 0, timeout: 10_000 });
}

export function sseChunk(content: string | undefined, extra: Record<string, unknown> = {}): string {
  return chatChunkEvent(content === undefined ? { role: 'assistant', content: '' } : { content }, null, extra);
}
