/**
 * Reading the Responses API (`client.responses`): streamed events and whole responses. Output events are the
 * deltas of text, refusals, reasoning (text and summaries) and function-call arguments; usage and the final
 * status arrive with `response.completed` / `response.incomplete` / `response.failed`.
 */
import { RyotError } from '@ryot/metrics/instrumentation';
import type { ClientRequest } from '@ryot/metrics/instrumentation';

const OUTPUT_DELTAS: ReadonlySet<string> = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.reasoning_text.delta',
  'response.reasoning_summary_text.delta',
  'response.function_call_arguments.delta',
  'response.custom_tool_call_input.delta',
  'response.code_interpreter_call_code.delta',
]);

const FINAL_EVENTS: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** A streamed `response.failed`: the stream itself ends normally, the request failed. Classified by its `error.code`. */
export class ResponseFailedError extends RyotError {
  readonly code = 'RYOT_OPENAI_RESPONSE_FAILED';
  constructor(readonly error: unknown) {
    const message = error !== null && typeof error === 'object' ? (error as { message?: unknown }).message : undefined;
    super(typeof message === 'string' ? message : 'response.failed');
  }
}

interface ResponseLike {
  error?: unknown;
  model?: unknown;
  status?: unknown;
  usage?: {
    input_tokens?: unknown;
    output_tokens?: unknown;
    input_tokens_details?: { cached_tokens?: unknown } | null;
    output_tokens_details?: { reasoning_tokens?: unknown } | null;
  } | null;
  incomplete_details?: { reason?: unknown } | null;
}

interface EventLike {
  type?: unknown;
  delta?: unknown;
  response?: ResponseLike | null;
}

/** Usage, model and finish reason (the incomplete reason, else the status) of a response object. */
export function readResponseObject(body: unknown, request: ClientRequest): void {
  if (body === null || typeof body !== 'object') return;
  const response = body as ResponseLike;
  request.setResponseModel(response.model);
  request.setFinishReason(response.incomplete_details?.reason ?? response.status);
  const usage = response.usage;
  if (usage === null || typeof usage !== 'object') return;
  request.addUsage({
    inputTokens: usage.input_tokens as number | undefined,
    outputTokens: usage.output_tokens as number | undefined,
    cacheReadTokens: usage.input_tokens_details?.cached_tokens as number | undefined,
    reasoningTokens: usage.output_tokens_details?.reasoning_tokens as number | undefined,
  });
}

/** One streamed event. */
export function readResponseEvent(event: unknown, request: ClientRequest): void {
  if (event === null || typeof event !== 'object') return;
  const { type, delta, response } = event as EventLike;
  if (typeof type !== 'string') return;
  if (OUTPUT_DELTAS.has(type)) {
    if (typeof delta === 'string' && delta.length > 0) request.output();
    return;
  }
  if (type === 'response.created') request.setResponseModel(response?.model);
  else if (FINAL_EVENTS.has(type)) {
    readResponseObject(response, request);
    if (type === 'response.failed') request.fail(new ResponseFailedError(response?.error));
  }
}
