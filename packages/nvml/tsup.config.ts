import { defineConfig } from 'tsup';
import { libraryBuild } from '../tsup.base.js';

export default defineConfig({
  ...libraryBuild,
  // binding.ts resolves the package root and require() from import.meta.url; shims make that work in the CJS build.
  shims: true,
});
