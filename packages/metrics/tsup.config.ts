import { defineConfig } from 'tsup';
import { libraryBuild } from '../tsup.base.js';

// Subpath entries share one copy of the core (the default instance behind `configure()` included): split chunks.
export default defineConfig({
  ...libraryBuild,
  entry: ['src/index.ts', 'src/instrumentation.ts', 'src/compat.ts', 'src/testing.ts', 'src/exposition.ts'],
  splitting: true,
});
