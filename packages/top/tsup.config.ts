import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: false,
    target: 'node20',
    splitting: false,
  },
  {
    // The `ryot` bin: ESM only; src/cli.ts starts with a shebang, which tsup keeps (and marks the file executable).
    // Both configs build in parallel, so neither cleans: the build script empties dist first.
    entry: ['src/cli.ts'],
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'node20',
    splitting: false,
  },
]);
