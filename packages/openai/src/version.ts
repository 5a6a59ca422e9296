/** The instrumentation scope @ryot/openai records its gen_ai.client.* metrics under; the version is kept equal to package.json's by a test. */
export const OPENAI_SCOPE = { name: '@ryot/openai', version: '0.1.0' } as const;
