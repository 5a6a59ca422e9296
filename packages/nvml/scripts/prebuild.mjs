// Builds prebuilds/<platform>-<arch>/<name>.node for publishing:
// prebuildify --napi --strip, with nativeBuildEnv() (no header download needed).
// Extra arguments are passed on (e.g. --out <dir>, --cwd <dir>).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { nativeBuildEnv } from './native-env.mjs';

const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('prebuildify/package.json')), 'bin.js');
const args = [bin, '--napi', '--strip', ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env: nativeBuildEnv() });
process.exit(result.status ?? 1);
