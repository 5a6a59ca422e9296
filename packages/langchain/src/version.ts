/** The instrumentation scope @ryot/langchain records its gen_ai.client.* metrics under; the version is kept equal to package.json's by a test. */
export const LANGCHAIN_SCOPE = { name: '@ryot/langchain', version: '0.1.0' } as const;
