// Install hook: node-gyp-build uses a prebuild that loads, else compiles with
// node-gyp, here with nativeBuildEnv() so no header download is needed when the
// running Node ships its headers.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { nativeBuildEnv } from './native-env.mjs';

const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('node-gyp-build/package.json')), 'bin.js');
const result = spawnSync(process.execPath, [bin], { stdio: 'inherit', env: nativeBuildEnv() });
process.exit(result.status ?? 1);
