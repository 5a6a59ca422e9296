// Builds the release prebuilds, prebuilds/linux-<arch>/@ryot+nvml.node, with
// `prebuildify --napi --strip`: the host's architecture natively, the other one with the GNU
// cross toolchain (Debian: g++-aarch64-linux-gnu on x64). Works in a temporary copy of the
// package, so the working tree's build/ is never touched.
//   node scripts/prebuild.mjs [--arch x64|arm64]... [--out <dir>]   (default: both, into this package)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_DIR, findExecutable, nativeBuildEnv } from './native-env.mjs';
import { PREBUILD_TARGETS } from './prebuilds.mjs';

const require = createRequire(import.meta.url);
const { values } = parseArgs({ options: { arch: { type: 'string', multiple: true }, out: { type: 'string' } } });
const out = resolve(values.out ?? PACKAGE_DIR);
const targets = values.arch ? PREBUILD_TARGETS.filter((t) => values.arch.includes(t.arch)) : PREBUILD_TARGETS;
if (targets.length === 0 || (values.arch && targets.length !== values.arch.length)) {
  process.stderr.write(`prebuild: --arch takes ${PREBUILD_TARGETS.map((t) => t.arch).join(' or ')}\n`);
  process.exit(2);
}

function targetEnv(target) {
  // binding.gyp asks node for node-addon-api's include dir from the copy's directory.
  const addonApiRoot = dirname(dirname(require.resolve('node-addon-api/package.json')));
  const env = nativeBuildEnv({ ...process.env, NODE_PATH: [addonApiRoot, process.env.NODE_PATH ?? ''].join(delimiter) });
  if (target.arch === process.arch) return env;
  const cxx = `${target.triplet}-g++`;
  if (!findExecutable(cxx, env)) {
    process.stderr.write(`prebuild: linux-${target.arch} needs the cross compiler ${cxx} (Debian: apt-get install ${target.debianPackage})\n`);
    process.exit(1);
  }
  return { ...env, CC: `${target.triplet}-gcc`, CXX: cxx, LINK: cxx, PREBUILD_STRIP_BIN: `${target.triplet}-strip` };
}

const prebuildify = join(dirname(require.resolve('prebuildify/package.json')), 'bin.js');
for (const target of targets) {
  const env = targetEnv(target);
  const copy = mkdtempSync(join(tmpdir(), 'ryot-nvml-prebuild-'));
  try {
    for (const entry of ['package.json', 'binding.gyp', 'src/native']) cpSync(join(PACKAGE_DIR, entry), join(copy, entry), { recursive: true });
    const args = [prebuildify, '--napi', '--strip', '--arch', target.arch, '--out', out];
    const result = spawnSync(process.execPath, args, { cwd: copy, env, stdio: 'inherit' });
    if (result.status !== 0) process.exit(result.status ?? 1);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
