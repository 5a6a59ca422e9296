import { describe, expect, test } from 'vitest';
import { genAiProviderName } from '../src/instrumentation.js';

describe('genAiProviderName', () => {
  test("the AI SDK's and LangChain's spellings of one provider name the same gen_ai.provider.name", () => {
    expect(['google', 'google_genai'].map(genAiProviderName)).toEqual(['gcp.gemini', 'gcp.gemini']);
    expect(['google-vertex', 'google_vertexai', 'vertex'].map(genAiProviderName)).toEqual(['gcp.vertex_ai', 'gcp.vertex_ai', 'gcp.vertex_ai']);
    expect(['amazon-bedrock', 'amazon_bedrock', 'bedrock'].map(genAiProviderName)).toEqual(['aws.bedrock', 'aws.bedrock', 'aws.bedrock']);
    expect(['azure', 'azure_openai'].map(genAiProviderName)).toEqual(['azure.ai.openai', 'azure.ai.openai']);
    expect(['mistral', 'mistralai'].map(genAiProviderName)).toEqual(['mistral_ai', 'mistral_ai']);
    expect(genAiProviderName('xai')).toBe('x_ai');
  });

  test('an id the conventions do not name is kept, including names an object prototype carries', () => {
    expect(genAiProviderName('ollama')).toBe('ollama');
    expect(genAiProviderName('constructor')).toBe('constructor');
    expect(genAiProviderName('__proto__')).toBe('__proto__');
  });
});
