/**
 * `gen_ai.provider.name` values (OTel GenAI conventions) for the provider ids integrations see: the AI SDK's
 * (`google`, `amazon-bedrock`, …) and LangChain's `ls_provider` (`google_genai`, `mistralai`, …).
 */
const PROVIDER_NAMES: ReadonlyMap<string, string> = new Map([
  ['openai', 'openai'],
  ['anthropic', 'anthropic'],
  ['google', 'gcp.gemini'],
  ['google_genai', 'gcp.gemini'],
  ['google-vertex', 'gcp.vertex_ai'],
  ['google_vertexai', 'gcp.vertex_ai'],
  ['vertex', 'gcp.vertex_ai'],
  ['amazon-bedrock', 'aws.bedrock'],
  ['amazon_bedrock', 'aws.bedrock'],
  ['bedrock', 'aws.bedrock'],
  ['azure', 'azure.ai.openai'],
  ['azure_openai', 'azure.ai.openai'],
  ['mistral', 'mistral_ai'],
  ['mistralai', 'mistral_ai'],
  ['groq', 'groq'],
  ['xai', 'x_ai'],
  ['deepseek', 'deepseek'],
  ['cohere', 'cohere'],
  ['perplexity', 'perplexity'],
]);

/** The conventions' `gen_ai.provider.name` for a provider id; an id the conventions do not name is kept as it is. */
export function genAiProviderName(id: string): string {
  return PROVIDER_NAMES.get(id) ?? id;
}
