/** The instrumentation scope @ryot/ai-sdk records its gen_ai.client.* metrics under; the version is kept equal to package.json's by a test. */
export const AI_SDK_SCOPE = { name: '@ryot/ai-sdk', version: '0.1.0' } as const;
