// prepack: a published @ryot/nvml must carry the linux-x64 and linux-arm64 prebuilds, so
// `pnpm pack` / `pnpm publish` refuse to produce a tarball without them.
import { PACKAGE_DIR } from './native-env.mjs';
import { prebuildProblems } from './prebuilds.mjs';

const problems = prebuildProblems(PACKAGE_DIR);
if (problems.length > 0) {
  process.stderr.write(
    `@ryot/nvml: refusing to pack without the linux-x64 and linux-arm64 prebuilds:\n${problems.map((p) => `  - ${p}\n`).join('')}` +
      'Build them with: pnpm --filter @ryot/nvml prebuildify   (arm64 cross-compiles: apt-get install g++-aarch64-linux-gnu)\n',
  );
  process.exit(1);
}
