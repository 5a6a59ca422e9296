import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  resolve: {
    // Tests import every workspace package by its name, resolved to its source (one copy of each module).
    alias: [
      { find: /^@ryot\/metrics$/, replacement: `${root}packages/metrics/src/index.ts` },
      { find: /^@ryot\/metrics\/(instrumentation|compat|testing|exposition)$/, replacement: `${root}packages/metrics/src/$1.ts` },
      { find: /^@ryot\/(exporters|nvml|openai|anthropic|ai-sdk|langchain)$/, replacement: `${root}packages/$1/src/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/consumer/fixtures/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
