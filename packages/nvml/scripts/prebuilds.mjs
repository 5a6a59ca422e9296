// The prebuilt binaries a published @ryot/nvml carries, and how to tell them apart:
// prebuilds/<platform>-<arch>/@ryot+nvml.node (prebuildify --napi naming, found by node-gyp-build).
import { closeSync, existsSync, openSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** elfMachine: e_machine of the ELF header; triplet: the GNU cross toolchain's prefix. */
export const PREBUILD_TARGETS = [
  { arch: 'x64', elfMachine: 62, triplet: 'x86_64-linux-gnu', debianPackage: 'g++-x86-64-linux-gnu' },
  { arch: 'arm64', elfMachine: 183, triplet: 'aarch64-linux-gnu', debianPackage: 'g++-aarch64-linux-gnu' },
];

/** e_machine of a 64-bit little-endian ELF file, or undefined for anything else. */
export function elfMachine(file) {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, header, 0, 20, 0) < 20) return undefined;
  } finally {
    closeSync(fd);
  }
  const isElf64Le = header.readUInt32BE(0) === 0x7f454c46 && header[4] === 2 && header[5] === 1;
  return isElf64Le ? header.readUInt16LE(18) : undefined;
}

/** Problems with `<packageDir>/prebuilds` for the release targets; empty when all are there. */
export function prebuildProblems(packageDir) {
  const problems = [];
  for (const target of PREBUILD_TARGETS) {
    const dir = join(packageDir, 'prebuilds', `linux-${target.arch}`);
    const files = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.node')) : [];
    if (files.length !== 1) {
      problems.push(`prebuilds/linux-${target.arch}: ${files.length === 0 ? 'missing' : `${files.length} .node files, expected 1`}`);
      continue;
    }
    const machine = elfMachine(join(dir, files[0]));
    if (machine !== target.elfMachine) {
      problems.push(`prebuilds/linux-${target.arch}/${files[0]}: not a linux-${target.arch} binary (ELF machine ${machine ?? 'none'}, expected ${target.elfMachine})`);
    }
  }
  return problems;
}
