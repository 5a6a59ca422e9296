// Shared by install.mjs, build-addon.mjs, prebuild.mjs and the tests: the environment for
// a source build that needs no network, and what such a build needs. node-gyp gets the
// running Node's own headers (<prefix>/include/node) when they exist and no nodedir is set,
// and a node-gyp is found even outside an npm/pnpm script (npm's or pnpm's bundled one).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const prefix = resolve(dirname(process.execPath), '..');

/** The package root (scripts/ is one level below it). */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The one command that builds the addon from source in this installed copy of the package. */
export const BUILD_COMMAND = `node ${JSON.stringify(join(PACKAGE_DIR, 'scripts', 'build-addon.mjs'))}`;

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable called `name` on env.PATH (an absolute path is checked as is). */
export function findExecutable(name, env = process.env) {
  if (name.includes('/')) return executable(name) ? name : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** An executable node-gyp: PATH first, then the copies npm and pnpm bundle. */
export function findNodeGyp(env = process.env) {
  const onPath = findExecutable('node-gyp', env);
  if (onPath) return onPath;
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

/**
 * What a source build needs and this environment lacks, by the name a user would install:
 * python3 (node-gyp's generator), make, a C++ compiler ($CXX, else g++, c++ or clang++), node-gyp.
 */
export function missingBuildTools(env = nativeBuildEnv()) {
  const missing = [];
  if (!findExecutable('python3', env) && !findExecutable('python', env)) missing.push('python3');
  if (!findExecutable('make', env)) missing.push('make');
  const compilers = env.CXX ? [env.CXX] : ['g++', 'c++', 'clang++'];
  if (!compilers.some((name) => findExecutable(name, env))) missing.push(env.CXX ?? 'g++');
  if (!env.PREBUILD_NODE_GYP) missing.push('node-gyp');
  return missing;
}

/**
 * `node-gyp rebuild` in the package directory. With `quiet`, its output is captured and
 * returned instead of printed. Never throws: a spawn failure is a non-zero status.
 */
export function runNodeGypRebuild({ env = nativeBuildEnv(), quiet = false, cwd = PACKAGE_DIR } = {}) {
  const nodeGyp = env.PREBUILD_NODE_GYP;
  if (!nodeGyp) return { status: 1, output: 'node-gyp not found' };
  const result = spawnSync(nodeGyp, ['rebuild'], { cwd, env, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  return { status: result.status ?? 1, output };
}
