/**
 * Benchmark (not a test): the cost of one device sample through the addon,
 * against the fake libnvidia-ml.so.1, next to spawning /bin/true, which is the
 * floor for any nvidia-smi-based reader (nvidia-smi itself costs far more).
 *   pnpm --filter @ryot/nvml bench
 * Builds the addon and the fake library first when they are missing.
 */
import { spawnSync } from 'node:child_process';
import { decodeSample } from '../src/decode.js';
import { normalizeSample } from '../src/normalize.js';
import { NvmlSession } from '../src/session.js';
import { buildFakeLibrary, ensureAddon } from '../test/helpers/build.js';
import { FakeControl } from '../test/helpers/config.js';

function perCallMicros(iterations: number, run: () => void): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) run();
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

async function perCallMicrosAsync(iterations: number, run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) await run();
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

async function main(): Promise<void> {
  ensureAddon();
  const libraryPath = buildFakeLibrary();
  // One device, every field, this process in the process list.
  const fake = new FakeControl({ devices: 1, 'dev.0.procs': 'self:1073741824' });
  process.env.FAKE_NVML_CONFIG = fake.configPath;
  process.env.FAKE_NVML_STATIC = '1'; // the fake's own test hook (a stat() per sample) is not NVML's cost
  delete process.env.FAKE_NVML_LOG;

  const opened = await NvmlSession.open({ libraryPath });
  if (!(opened instanceof NvmlSession)) throw new Error(`NVML unavailable: ${opened.message}`);
  const binding = opened.nativeBinding;

  // Warm up all paths.
  for (let i = 0; i < 2000; i += 1) binding.sampleBlocking();
  for (let i = 0; i < 500; i += 1) await opened.sample();
  for (let i = 0; i < 20; i += 1) spawnSync('/bin/true');

  const layout = binding.constants.layout;
  const blocking = perCallMicros(50_000, () => binding.sampleBlocking());
  const blockingDecoded = perCallMicros(50_000, () => normalizeSample(decodeSample(binding.sampleBlocking(), layout), 0, 0));
  const asyncSample = await perCallMicrosAsync(10_000, () => opened.sample());
  const spawn = perCallMicros(300, () => spawnSync('/bin/true'));
  await opened.close();

  const row = (label: string, micros: number): string => `${label.padEnd(58)} ${micros.toFixed(2).padStart(10)} µs`;
  console.log('@ryot/nvml sample cost (fake libnvidia-ml.so.1, 1 device, all fields)');
  console.log(row('native sample on the JS thread (sampleBlocking)', blocking));
  console.log(row('  + decode and normalize to the public snapshot', blockingDecoded));
  console.log(row('session.sample(): async worker round trip + normalize', asyncSample));
  console.log(row("child_process.spawnSync('/bin/true')", spawn));
  console.log(`ratio spawn / native sample:  ${(spawn / blocking).toFixed(0)}x  (target >= 1000x)`);
  console.log(`ratio spawn / decoded sample: ${(spawn / blockingDecoded).toFixed(0)}x`);
  console.log(`ratio spawn / async sample:   ${(spawn / asyncSample).toFixed(0)}x`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
