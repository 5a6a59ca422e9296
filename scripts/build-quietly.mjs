// `pnpm run build` with its output held back: one line when it works, all of it when it
// fails. What `pnpm demo`, `pnpm test` and the other root scripts run before their own work.
import { spawnSync } from 'node:child_process';

const started = performance.now();
process.stdout.write('Building the packages... ');
const result = spawnSync('pnpm', ['run', 'build'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
if (result.status === 0) {
  process.stdout.write(`done in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
} else {
  process.stdout.write('failed:\n');
  process.stdout.write(result.stdout ?? '');
  process.stderr.write(result.stderr ?? '');
  if (result.error) process.stderr.write(`${result.error.message}\n`);
  process.exit(result.status ?? 1);
}
