/** Writes key=value configs for the fake library (re-read on change by nvmlInit / nvmlDeviceGetCount). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export type FakeConfig = Record<string, string | number>;

/** Two devices with distinct, unit-revealing values; every number below is asserted somewhere. */
export const BASE_CONFIG: FakeConfig = {
  devices: 2,
  driver_version: '570.133.20',
  nvml_version: '12.570.133.20',
  cuda_driver_version: 12080,
  'dev.0.name': 'NVIDIA H200',
  'dev.0.uuid': 'GPU-11111111-2222-3333-4444-555555555555',
  'dev.0.pci': '00000000:18:00.0',
  'dev.0.mem_total': 150754820096,
  'dev.0.mem_reserved': 598736896,
  'dev.0.mem_used': 70000000000,
  'dev.0.util_gpu': 87,
  'dev.0.util_mem': 41,
  'dev.0.temp': 54,
  'dev.0.power_mw': 312456,
  'dev.0.limit_mw': 700000,
  'dev.0.energy_mj': 123456789,
  'dev.0.clock_sm': 1980,
  'dev.0.clock_mem': 3201,
  'dev.0.procs': 'self:68719476736,4242:1048576',
  'dev.1.name': 'NVIDIA H200',
  'dev.1.uuid': 'GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  'dev.1.pci': '00000000:2A:00.0',
  'dev.1.mem_total': 150754820096,
  'dev.1.mem_reserved': 598736896,
  'dev.1.mem_used': 1048576,
  'dev.1.util_gpu': 0,
  'dev.1.util_mem': 0,
  'dev.1.temp': 31,
  'dev.1.power_mw': 75250,
  'dev.1.limit_mw': 600000,
  'dev.1.energy_mj': 5000,
  'dev.1.clock_sm': 345,
  'dev.1.clock_mem': 3201,
  'dev.1.procs': '',
};

/** Every control directory this test process made; removed when it exits. */
const createdDirs = new Set<string>();
function removeCreatedDirs(): void {
  for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
  createdDirs.clear();
}
// Registered while a test file is collected, so each file cleans up after its own tests; the exit
// hook covers anything made outside a test file (the benchmark uses this module too).
if (process.env['VITEST']) afterAll(removeCreatedDirs);
process.once('exit', removeCreatedDirs);

export class FakeControl {
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  private current: FakeConfig;

  constructor(initial: FakeConfig = BASE_CONFIG) {
    this.dir = mkdtempSync(join(tmpdir(), 'ryot-nvml-test-'));
    createdDirs.add(this.dir);
    this.configPath = join(this.dir, 'fake.cfg');
    this.logPath = join(this.dir, 'calls.log');
    this.current = { ...initial };
    this.write();
  }

  /** Environment for the process that loads the fake (set before the library's first call). */
  env(): Record<string, string> {
    return { FAKE_NVML_CONFIG: this.configPath, FAKE_NVML_LOG: this.logPath };
  }

  /** Applies the env to this process. */
  install(): void {
    Object.assign(process.env, this.env());
  }

  set(changes: FakeConfig): void {
    this.current = { ...this.current, ...changes };
    this.write();
  }

  unset(...keys: string[]): void {
    for (const key of keys) delete this.current[key];
    this.write();
  }

  reset(config: FakeConfig = BASE_CONFIG): void {
    this.current = { ...config };
    this.write();
  }

  /** Exported symbols the addon called, in order. */
  calls(): string[] {
    if (!existsSync(this.logPath)) return [];
    return readFileSync(this.logPath, 'utf8').split('\n').filter(Boolean);
  }

  clearCalls(): void {
    writeFileSync(this.logPath, '');
  }

  private write(): void {
    // A trailing comment with a counter changes the size as well as the mtime, so every write is seen.
    const body = Object.entries(this.current).map(([key, value]) => `${key}=${value}`);
    writeFileSync(this.configPath, `${body.join('\n')}\n# ${Date.now()}-${Math.random()}\n`);
  }
}
