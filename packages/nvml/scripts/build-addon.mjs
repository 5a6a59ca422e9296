// Builds ryot_nvml.node from source in this copy of @ryot/nvml (build/Release, which the
// loader prefers over prebuilds/). Needs python3, make and a C++ compiler. Prints node-gyp's
// output and exits with its status: run by hand, so a failure is loud.
import { BUILD_COMMAND, PACKAGE_DIR, missingBuildTools, nativeBuildEnv, runNodeGypRebuild } from './native-env.mjs';

const env = nativeBuildEnv();
const missing = missingBuildTools(env);
if (missing.length > 0) {
  process.stderr.write(
    `@ryot/nvml: cannot build ryot_nvml.node: missing ${missing.join(', ')} on PATH.\n` +
      `Install them (Debian/Ubuntu: apt-get install python3 make g++), then run again: ${BUILD_COMMAND}\n`,
  );
  process.exit(1);
}
const { status } = runNodeGypRebuild({ env });
if (status === 0) process.stdout.write(`@ryot/nvml: built ${PACKAGE_DIR}/build/Release/ryot_nvml.node\n`);
process.exit(status);
