import { defineConfig } from 'tsup';
import { libraryBuild } from '../tsup.base.js';

// Both configs build in parallel, so neither cleans: the build script empties dist first.
export default defineConfig([
  { ...libraryBuild, clean: false },
  {
    // The `ryot` bin: ESM only; src/cli.ts starts with a shebang, which tsup keeps (and marks the file executable).
    ...libraryBuild,
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    clean: false,
  },
]);
