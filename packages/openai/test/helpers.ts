import OpenAI from 'openai';

export * from '../../../test/helpers/clients.js';

export function openaiClient(baseURL: string, options: { maxRetries?: number } = {}): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL, maxRetries: options.maxRetries ?? 0, timeout: 10_000 });
}

export function sseChunk(content: string | undefined, extra: Record<string, unknown> = {}): string {
  const delta = content === undefined ? { role: 'assistant', content: '' } : { content };
  return `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'tiny', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
}
