/**
 * Reading the Anthropic Messages API: the streamed events and whole responses. Output deltas are non-empty
 * `text_delta`, `thinking_delta` and `input_json_delta` (tool input) content-block deltas; `signature_delta`,
 * `citations_delta`, pings and block starts/stops carry no generated tokens. Usage comes from `message_start`
 * (input and cache counts, output so far) and `message_delta` (the final output count, and the input side again
 * where the API repeats it). The API's `input_tokens` excludes cached tokens: the prompt total reported here adds
 * `cache_creation_input_tokens` and `cache_read_input_tokens` to it, so that ryot_prompt_tokens means the same
 * for every provider.
 */
import type { ClientRequest, PayloadReader } from '@ryot/metrics/instrumentation';

interface UsageLike {
  input_tokens?: unknown;
  output_tokens?: unknown;
  cache_creation_input_tokens?: unknown;
  cache_read_input_tokens?: unknown;
}

interface MessageLike {
  model?: unknown;
  stop_reason?: unknown;
  usage?: UsageLike | null;
}

interface EventLike {
  type?: unknown;
  message?: MessageLike | null;
  delta?: { type?: unknown; text?: unknown; thinking?: unknown; partial_json?: unknown; stop_reason?: unknown } | null;
  usage?: UsageLike | null;
}

const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);

/** The input side as last reported; the prompt total is their sum. */
interface InputSide {
  input: number | undefined;
  cacheWrite: number | undefined;
  cacheRead: number | undefined;
}

function readUsage(usage: UsageLike | null | undefined, side: InputSide, request: ClientRequest): void {
  if (usage === null || typeof usage !== 'object') return;
  side.input = count(usage.input_tokens) ?? side.input;
  side.cacheWrite = count(usage.cache_creation_input_tokens) ?? side.cacheWrite;
  side.cacheRead = count(usage.cache_read_input_tokens) ?? side.cacheRead;
  request.addUsage({
    inputTokens: side.input === undefined ? undefined : side.input + (side.cacheWrite ?? 0) + (side.cacheRead ?? 0),
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: side.cacheRead,
    cacheWriteTokens: side.cacheWrite,
  });
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

/** A reader for one streamed request (it keeps the input side of the usage between message_start and message_delta). */
export function streamReader(): PayloadReader {
  const side: InputSide = { input: undefined, cacheWrite: undefined, cacheRead: undefined };
  return (payload, request) => {
    if (payload === null || typeof payload !== 'object') return;
    const event = payload as EventLike;
    switch (event.type) {
      case 'content_block_delta': {
        const delta = event.delta;
        if (!delta) return;
        const type = delta.type;
        if ((type === 'text_delta' && nonEmpty(delta.text)) || (type === 'thinking_delta' && nonEmpty(delta.thinking)) || (type === 'input_json_delta' && nonEmpty(delta.partial_json))) {
          request.output();
        }
        return;
      }
      case 'message_start': {
        const message = event.message;
        if (!message) return;
        request.setResponseModel(message.model);
        readUsage(message.usage, side, request);
        return;
      }
      case 'message_delta':
        request.setFinishReason(event.delta?.stop_reason);
        readUsage(event.usage, side, request);
        return;
      default:
        return;
    }
  };
}

/** A whole (non-streamed) message: model, stop_reason, usage. */
export const readMessage: PayloadReader = (body, request) => {
  if (body === null || typeof body !== 'object') return;
  const message = body as MessageLike;
  request.setResponseModel(message.model);
  request.setFinishReason(message.stop_reason);
  readUsage(message.usage, { input: undefined, cacheWrite: undefined, cacheRead: undefined }, request);
};
