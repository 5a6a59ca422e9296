import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import type { BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import type { HandleLLMNewTokenCallbackFields, NewTokenIndices } from '@langchain/core/callbacks/base';
import {
  ClientRequest,
  RyotConfigError,
  genAiProviderName,
  resolveClientOptions,
  type ClientMeasureOptions,
  type ClientRequestSummary,
  type ClientUsage,
  type ResolvedClientOptions,
} from '@ryot/metrics/instrumentation';
import { LANGCHAIN_SCOPE } from './version.js';

/** Everything measured for one model run, passed to `onRequestEnd`. */
export type RequestSummary = ClientRequestSummary<'chat' | 'text_completion'>;

export interface RyotCallbackHandlerOptions extends ClientMeasureOptions<RequestSummary> {
  /** `gen_ai.provider.name`. Default: the model's `ls_provider` metadata (`openai`, `anthropic`, …), else 'unknown'. */
  providerName?: string;
  /**
   * Runs started and not yet ended that are kept at most. LangChain reports nothing when a consumer stops
   * iterating `.stream()` early, so such a run would otherwise stay open forever; past this cap the oldest open
   * run ends as cancelled. Default 1000.
   */
  maxOpenRuns?: number;
}

interface UsageMetadataLike {
  input_tokens?: unknown;
  output_tokens?: unknown;
  input_token_details?: { cache_read?: unknown; cache_creation?: unknown } | null;
  output_token_details?: { reasoning?: unknown } | null;
}

interface MessageLike {
  content?: unknown;
  usage_metadata?: UsageMetadataLike | null;
  response_metadata?: Record<string, unknown> | null;
  additional_kwargs?: Record<string, unknown> | null;
  tool_call_chunks?: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Whether a streamed chunk whose token text is empty still carries output: tool-call input, reasoning
 * (`reasoning_content`, as ChatOpenAI passes it on) or a thinking/reasoning content block (ChatAnthropic).
 */
function carriesOutput(message: MessageLike | undefined): boolean {
  if (message === undefined) return false;
  if (Array.isArray(message.tool_call_chunks) && message.tool_call_chunks.length > 0) return true;
  if (stringOf(message.additional_kwargs?.['reasoning_content']) !== undefined) return true;
  return Array.isArray(message.content) && message.content.some((block: unknown) => isObject(block) && stringOf(block['thinking'], block['reasoning']) !== undefined);
}

function stringOf(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === 'string' && value.length > 0) return value;
  return undefined;
}

function usageOf(metadata: UsageMetadataLike): ClientUsage {
  return {
    inputTokens: metadata.input_tokens as number | undefined,
    outputTokens: metadata.output_tokens as number | undefined,
    cacheReadTokens: metadata.input_token_details?.cache_read as number | undefined,
    cacheWriteTokens: metadata.input_token_details?.cache_creation as number | undefined,
    reasoningTokens: metadata.output_token_details?.reasoning as number | undefined,
  };
}

/**
 * A LangChain.js callback handler that measures every chat model and LLM run it sees: pass it in `callbacks`
 * (per call, per model, or on a chain). TTFT and the gaps come from `handleLLMNewToken` (so from streaming runs);
 * usage from the final message's `usage_metadata` when the provider sent it (else from `llmOutput.tokenUsage`),
 * and otherwise output tokens are the tokens counted and prompt tokens are not recorded.
 */
export class RyotCallbackHandler extends BaseCallbackHandler {
  name = 'RyotCallbackHandler';
  // Inline, not queued: a queued handler would see each token late and skew TTFT and the gaps.
  override awaitHandlers = true;
  private readonly resolved: ResolvedClientOptions;
  private readonly providerName: string | undefined;
  private readonly maxOpenRuns: number;
  private readonly runs = new Map<string, ClientRequest>();

  constructor(options: RyotCallbackHandlerOptions = {}) {
    super();
    const maxOpenRuns = options.maxOpenRuns ?? 1000;
    if (!Number.isInteger(maxOpenRuns) || maxOpenRuns < 1) throw new RyotConfigError(`Expected a positive integer for maxOpenRuns but received ${String(maxOpenRuns)}`);
    this.resolved = resolveClientOptions(options, 'unknown');
    this.providerName = options.providerName;
    this.maxOpenRuns = maxOpenRuns;
  }

  /** Runs started and not yet ended. */
  get openRuns(): number {
    return this.runs.size;
  }

  override handleChatModelStart(llm: Serialized, _messages: BaseMessage[][], runId: string, _parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>): void {
    this.start(llm, runId, extraParams, metadata, 'chat');
  }

  override handleLLMStart(llm: Serialized, _prompts: string[], runId: string, _parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>): void {
    this.start(llm, runId, extraParams, metadata, 'text_completion');
  }

  override handleLLMNewToken(token: string, _idx: NewTokenIndices, runId: string, _parentRunId?: string, _tags?: string[], fields?: HandleLLMNewTokenCallbackFields): void {
    const request = this.runs.get(runId);
    if (request === undefined) return;
    // LangChain's invocation params say `stream: false` even under `.stream()`: a run streams when tokens arrive.
    request.markStreaming();
    if (token.length > 0) {
      request.output();
      return;
    }
    // Tool-call input and reasoning arrive in the message, not in the token text.
    const chunk = fields?.chunk as { message?: MessageLike } | undefined;
    if (carriesOutput(chunk?.message)) request.output();
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    const request = this.runs.get(runId);
    if (request === undefined) return;
    try {
      this.readResult(output, request);
    } finally {
      request.complete();
    }
  }

  override handleLLMError(error: unknown, runId: string): void {
    this.runs.get(runId)?.fail(error);
  }

  private start(llm: Serialized, runId: string, extraParams: Record<string, unknown> | undefined, metadata: Record<string, unknown> | undefined, operation: 'chat' | 'text_completion'): void {
    if (this.runs.has(runId)) return;
    const invocation = isObject(extraParams?.['invocation_params']) ? extraParams['invocation_params'] : {};
    const kwargs = isObject(llm) && isObject((llm as { kwargs?: unknown }).kwargs) ? (llm as { kwargs: Record<string, unknown> }).kwargs : {};
    const model = stringOf(metadata?.['ls_model_name'], invocation['model'], invocation['model_name'], kwargs['model'], kwargs['model_name']) ?? 'unknown';
    const lsProvider = stringOf(metadata?.['ls_provider']);
    const providerName = this.providerName ?? (lsProvider ? genAiProviderName(lsProvider) : 'unknown');
    const request = new ClientRequest({
      options: this.resolved,
      scope: LANGCHAIN_SCOPE,
      operation,
      requestModel: model,
      streaming: invocation['stream'] === true || invocation['streaming'] === true,
      providerName,
      onEnd: () => {
        if (this.runs.get(runId) === request) this.runs.delete(runId);
      },
    });
    this.runs.set(runId, request);
    // LangChain may stop a run on its signal without calling handleLLMError: the abort ends it here.
    const callOptions = extraParams?.['options'];
    const signal = isObject(callOptions) ? callOptions['signal'] : undefined;
    if (signal instanceof AbortSignal) request.watch(signal, false);
    if (this.runs.size > this.maxOpenRuns) this.runs.values().next().value?.abort();
  }

  private readResult(output: LLMResult, request: ClientRequest): void {
    const generation = output?.generations?.[0]?.[0] as { message?: MessageLike; generationInfo?: Record<string, unknown> } | undefined;
    const message = generation?.message;
    const response = isObject(message?.response_metadata) ? message.response_metadata : {};
    const info = isObject(generation?.generationInfo) ? generation.generationInfo : {};
    // A streamed ChatAnthropic message keeps message_start's model and message_delta's stop_reason in additional_kwargs.
    const extra = isObject(message?.additional_kwargs) ? message.additional_kwargs : {};
    request.setResponseModel(stringOf(response['model_name'], response['model'], info['model_name'], extra['model']));
    request.setFinishReason(stringOf(response['finish_reason'], response['stop_reason'], info['finish_reason'], info['stop_reason'], info['finishReason'], extra['stop_reason']));
    if (isObject(message?.usage_metadata)) {
      request.addUsage(usageOf(message.usage_metadata));
      return;
    }
    const tokenUsage = isObject(output?.llmOutput?.['tokenUsage']) ? (output.llmOutput['tokenUsage'] as Record<string, unknown>) : undefined;
    if (tokenUsage) request.addUsage({ inputTokens: tokenUsage['promptTokens'] as number | undefined, outputTokens: tokenUsage['completionTokens'] as number | undefined });
  }
}
