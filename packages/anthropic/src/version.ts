/** The instrumentation scope @ryot/anthropic records its gen_ai.client.* metrics under; the version is kept equal to package.json's by a test. */
export const ANTHROPIC_SCOPE = { name: '@ryot/anthropic', version: '0.1.0' } as const;
