import { defineConfig } from 'tsup';
import { libraryBuild } from '../tsup.base.js';

// The configs build in parallel, so none cleans: the build script empties dist first.
export default defineConfig([
  // startWebView finds the page's assets beside the module (import.meta.url): the shim gives CommonJS one too.
  { ...libraryBuild, clean: false, shims: true },
  {
    // The `ryot` bin: ESM only; src/cli.ts starts with a shebang, which tsup keeps (and marks the file executable).
    ...libraryBuild,
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    clean: false,
  },
  {
    // The page of `ryot top --web`: one script and one stylesheet, served from dist/web (no CDN, works offline).
    // main.ts imports style.css, which esbuild writes beside the script as app.css.
    entry: { 'web/app': 'src/web/page/main.ts' },
    format: ['iife'],
    outExtension: () => ({ js: '.js' }),
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: false,
    dts: false,
    clean: false,
    splitting: false,
    tsconfig: 'tsconfig.page.json',
  },
]);
