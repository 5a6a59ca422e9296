import { FINISH_REASONS, type FinishReason } from './catalog.js';

/**
 * Finish reasons as engines and APIs spell them, read lower-case with `-` as `_`: OpenAI (stop, length, tool_calls,
 * content_filter, function_call; Responses' max_output_tokens), Anthropic (end_turn, stop_sequence, max_tokens,
 * tool_use, refusal), vLLM (stop, length, abort, error), TGI (eos_token, stop_sequence, length), Gemini (STOP,
 * MAX_TOKENS, SAFETY) and the AI SDK (content-filter, tool-calls).
 */
const SYNONYMS: ReadonlyMap<string, FinishReason> = new Map<string, FinishReason>([
  ...FINISH_REASONS.map((reason): [string, FinishReason] => [reason, reason]),
  ['end_turn', 'stop'],
  ['stop_sequence', 'stop'],
  ['eos_token', 'stop'],
  ['eos', 'stop'],
  ['max_tokens', 'length'],
  ['max_output_tokens', 'length'],
  ['tool_use', 'tool_calls'],
  ['function_call', 'tool_calls'],
  ['refusal', 'content_filter'],
  ['safety', 'content_filter'],
  ['cancelled', 'abort'],
  ['canceled', 'abort'],
]);

/** The vocabulary's reason for what an engine or API reported, or undefined when it is not one Ryot knows. */
export function normalizeFinishReason(reported: string): FinishReason | undefined {
  return SYNONYMS.get(reported) ?? SYNONYMS.get(reported.toLowerCase().replaceAll('-', '_'));
}

export const FINISH_REASON_INDEX: Readonly<Record<FinishReason, number>> = Object.fromEntries(FINISH_REASONS.map((reason, i) => [reason, i])) as Record<
  FinishReason,
  number
>;
