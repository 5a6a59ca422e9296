import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const testRoot = join(here, '..');
const fixtures = join(here, 'fixtures');

// These run the built package (dist/), resolved from the test workspace package the way
// a consumer resolves it: through package.json "exports".
describe('consumers of the built @ryot/metrics', () => {
  it('ESM import works', async () => {
    const { stdout } = await run(process.execPath, [join(fixtures, 'esm-consumer.mjs')], { cwd: testRoot });
    expect(stdout).toMatch(/^ryot_inference_requests_total\{.*model="esm-model",status="success".*\} 1$/m);
    expect(stdout).toMatch(/^ryot_tokens_generated_total\{.*model="esm-model".*\} 2$/m);
    // @ryot/metrics/compat records into the same default instance as the root export.
    expect(stdout).toMatch(/^ryot_batches_processed_total\{.*model="esm-compat".*\} 1$/m);
    expect(stdout).toMatch(/^ryot_batches_processed_total\{.*model="__overflow__".*\} 1$/m);
  });

  it('require() gets the CommonJS build', async () => {
    const { stdout } = await run(process.execPath, [join(fixtures, 'cjs-consumer.cjs')], { cwd: testRoot });
    expect(stdout).toMatch(/resolved:.*packages[/\\]metrics[/\\]dist[/\\]index\.cjs/);
    expect(stdout).toMatch(/^ryot_tokens_generated_total\{.*model="cjs-model".*\} 3$/m);
    expect(stdout).toMatch(/^ryot_batches_processed_total\{.*model="cjs-compat".*\} 1$/m);
    expect(stdout).toMatch(/^ryot_batches_processed_total\{.*model="__overflow__".*\} 1$/m);
  });

  it('TypeScript type-checks against the declarations and runs with a standard decorator', async () => {
    await mkdir(join(testRoot, '.tmp'), { recursive: true });
    const dir = await mkdtemp(join(testRoot, '.tmp', 'ts-consumer-'));
    await copyFile(join(fixtures, 'ts-consumer.ts'), join(dir, 'consumer.ts'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: false, types: [] },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(testRoot, '..', 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir });
    const { stdout } = await run(process.execPath, [join(dir, 'out', 'consumer.js')], { cwd: dir });
    expect(stdout).toContain('answer:ping:pong success oom');
    expect(stdout).toMatch(/^ryot_inference_requests_total\{.*model="ts-model",status="success".*\} 1$/m);
  }, 60_000);
});
