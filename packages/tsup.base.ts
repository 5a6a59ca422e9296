import type { Options } from 'tsup';

/** The build every Ryot package shares: ESM + CJS from src/index.ts, with .d.ts/.d.cts. */
export const libraryBuild: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  silent: true,
};
