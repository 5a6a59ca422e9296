import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  // binding.ts resolves the package root and require() from import.meta.url; shims make that work in the CJS build.
  shims: true,
});
