/**
 * The GenAI conventions' migration switch. `OTEL_SEMCONV_STABILITY_OPT_IN` is a comma-separated list; its
 * `gen_ai_latest_experimental` value asks for the latest experimental conventions only. Without it, the client
 * metrics keep the pre-v1.37 `gen_ai.system` attribute beside its replacement `gen_ai.provider.name` (same value),
 * so dashboards written against either name keep working during a migration.
 */
export const GEN_AI_LATEST_EXPERIMENTAL = 'gen_ai_latest_experimental';

/** Whether the deprecated `gen_ai.system` is emitted, given the value of OTEL_SEMCONV_STABILITY_OPT_IN. */
export function emitsLegacyGenAiSystem(optIn: string | undefined = readOptIn()): boolean {
  if (typeof optIn !== 'string') return true;
  return !optIn.split(',').some((value) => value.trim() === GEN_AI_LATEST_EXPERIMENTAL);
}

function readOptIn(): string | undefined {
  return typeof process === 'object' && process !== null ? process.env?.['OTEL_SEMCONV_STABILITY_OPT_IN'] : undefined;
}
