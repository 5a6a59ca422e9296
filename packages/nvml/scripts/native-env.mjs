// Shared by install.mjs, prebuild.mjs and the tests: the environment for a
// source build that needs no network. node-gyp gets the running Node's own
// headers (<prefix>/include/node) when they exist and no nodedir is set, and a
// node-gyp is found even outside an npm/pnpm script (npm's or pnpm's bundled one).
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

const prefix = resolve(dirname(process.execPath), '..');

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** An executable node-gyp: PATH first, then the copies npm and pnpm bundle. */
export function findNodeGyp(env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, 'node-gyp'))) return join(dir, 'node-gyp');
  }
  const bundled = [
    join(prefix, 'lib', 'node_modules', 'pnpm', 'dist', 'node-gyp-bin', 'node-gyp'),
    join(prefix, 'lib', 'node_modules', 'npm', 'bin', 'node-gyp-bin', 'node-gyp'),
  ];
  return bundled.find(executable);
}

export function nativeBuildEnv(base = process.env) {
  const env = { ...base };
  if (!env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
    env.npm_config_nodedir = prefix;
  }
  const nodeGyp = findNodeGyp(env);
  if (nodeGyp) {
    env.PREBUILD_NODE_GYP ??= nodeGyp;
    env.PATH = [dirname(nodeGyp), env.PATH ?? ''].join(delimiter);
  }
  return env;
}
