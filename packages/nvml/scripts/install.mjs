// Install hook of @ryot/nvml. It never fails an install: the addon only adds GPU gauges, and
// without it the package still loads and reports `available: false` with the reason.
//   1. an addon that loads (the prebuild for this platform, or an earlier source build): done;
//   2. else, with python3, make and a C++ compiler: build from source (output captured, one line);
//   3. else: one line naming what is missing and the command that builds the addon later.
// npm_config_build_from_source (npm's --build-from-source) skips step 1.
import { createRequire } from 'node:module';
import { BUILD_COMMAND, PACKAGE_DIR, missingBuildTools, nativeBuildEnv, runNodeGypRebuild } from './native-env.mjs';

const require = createRequire(import.meta.url);
const target = `${process.platform}-${process.arch}`;
const say = (line) => process.stdout.write(`@ryot/nvml: ${line}\n`);

function addonLoads() {
  try {
    const nodeGypBuild = require('node-gyp-build');
    require(nodeGypBuild.path(PACKAGE_DIR));
    return true;
  } catch {
    return false;
  }
}

function install() {
  const fromSource = /^(1|true)$/i.test(process.env.npm_config_build_from_source ?? '');
  if (!fromSource && addonLoads()) return;
  const env = nativeBuildEnv();
  const missing = missingBuildTools(env);
  if (missing.length > 0) {
    say(`no prebuilt addon (ryot_nvml.node) for ${target} and no toolchain to build one (missing: ${missing.join(', ')}).`);
    say(`GPU metrics report available: false until it is built: ${BUILD_COMMAND}`);
    return;
  }
  const started = performance.now();
  const { status, output } = runNodeGypRebuild({ env, quiet: true });
  if (status === 0) {
    say(`built ryot_nvml.node for ${target} from source in ${((performance.now() - started) / 1000).toFixed(1)}s.`);
    return;
  }
  const tail = output.trimEnd().split('\n').slice(-15).map((line) => `  ${line}`).join('\n');
  say(`building ryot_nvml.node from source failed (node-gyp exit ${status}); GPU metrics report available: false.`);
  process.stdout.write(`${tail}\n`);
  say(`retry, with the full output: ${BUILD_COMMAND}`);
}

try {
  install();
} catch (error) {
  say(`install step skipped: ${error instanceof Error ? error.message : String(error)}`);
}
process.exit(0);
