/**
 * Finds and loads the native addon. Order: an explicit path (option `addonPath`
 * or RYOT_NVML_ADDON), then node-gyp-build over the package directory (which
 * takes a local build/Release from a source build and otherwise the matching
 * prebuilds/<platform>-<arch>/*.node). Every failure is collected into one
 * NvmlAddonLoadError; nothing falls back silently.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NvmlAddonLoadError } from './errors.js';
import type { NativeBinding } from './internal-types.js';

const requireHere = createRequire(import.meta.url);

/** The package root: one level above src/ (sources) and dist/ (built output). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const ADDON_ENV_VAR = 'RYOT_NVML_ADDON';

interface NodeGypBuild {
  path(dir: string): string;
}

const loaded = new Map<string, NativeBinding>();

/** The command that builds the addon in this installed copy (scripts/build-addon.mjs, shipped in the package). */
export function buildCommand(): string {
  return `node ${JSON.stringify(join(PACKAGE_ROOT, 'scripts', 'build-addon.mjs'))}`;
}

function isBinding(value: unknown): value is NativeBinding {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['open', 'init', 'shutdown', 'sample', 'errorName'].every((key) => typeof candidate[key] === 'function');
}

function loadFile(file: string): NativeBinding {
  const cached = loaded.get(file);
  if (cached) return cached;
  const exported: unknown = requireHere(file);
  if (!isBinding(exported)) throw new Error(`${file} is not the @ryot/nvml addon (missing exports)`);
  loaded.set(file, exported);
  return exported;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
}

export interface LoadedAddon {
  binding: NativeBinding;
  file: string;
}

export function loadAddon(addonPath?: string): LoadedAddon {
  const attempts: string[] = [];
  const explicit = addonPath ?? process.env[ADDON_ENV_VAR];
  const explicitFile = explicit !== undefined && explicit !== '' ? resolve(explicit) : undefined;
  if (explicitFile !== undefined) {
    const file = explicitFile;
    try {
      return { binding: loadFile(file), file };
    } catch (error) {
      attempts.push(`${addonPath !== undefined ? 'addonPath' : ADDON_ENV_VAR} ${file}: ${reason(error)}`);
    }
  } else {
    try {
      const nodeGypBuild = requireHere('node-gyp-build') as NodeGypBuild;
      const file = nodeGypBuild.path(PACKAGE_ROOT);
      return { binding: loadFile(file), file };
    } catch (error) {
      const where = existsSync(join(PACKAGE_ROOT, 'prebuilds')) ? 'prebuilds/ and build/' : 'build/ (no prebuilds/ directory)';
      attempts.push(`node-gyp-build in ${PACKAGE_ROOT}, ${where}: ${reason(error)}`);
    }
  }
  const target = `${process.platform}-${process.arch}`;
  const runtime = `node ${process.versions.node}, N-API ${process.versions.napi ?? '?'}`;
  const message =
    `Cannot load the @ryot/nvml native addon (ryot_nvml.node) for ${target} (${runtime}): ` +
    (explicitFile !== undefined ? `${explicitFile} did not load. ` : `no prebuilt binary for ${target} in this package loads, and none was built from source. `) +
    `Build it with: ${buildCommand()} (needs python3, make and a C++ compiler), or point ${ADDON_ENV_VAR} at a built ryot_nvml.node.\n` +
    attempts.map((line) => `  - ${line}`).join('\n');
  throw new NvmlAddonLoadError(message, attempts);
}
