/**
 * Runs only where the real libnvidia-ml.so.1 loads and nvidia-smi answers;
 * compares our snapshot with `nvidia-smi --query-gpu ... --format=csv,noheader,nounits`.
 * Slowly varying values (used memory, temperature, power) get tolerances; identity
 * fields and static values must match exactly.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { GpuSnapshot, NvmlStatus } from '../src/types.js';
import { ensureAddon } from './helpers/build.js';
import { CHILD_SCRIPT, runChild } from './helpers/child.js';

const FIELDS = ['index', 'uuid', 'name', 'pci.bus_id', 'memory.total', 'memory.used', 'driver_version', 'enforced.power.limit', 'temperature.gpu', 'power.draw'] as const;
type Row = Record<(typeof FIELDS)[number], string>;

function nvidiaSmi(): Row[] | undefined {
  try {
    const out = execFileSync('nvidia-smi', [`--query-gpu=${FIELDS.join(',')}`, '--format=csv,noheader,nounits'], { encoding: 'utf8', timeout: 30_000 });
    return out
      .trim()
      .split('\n')
      .map((line) => {
        const cells = line.split(',').map((cell) => cell.trim());
        return Object.fromEntries(FIELDS.map((field, i) => [field, cells[i] ?? ''])) as Row;
      });
  } catch {
    return undefined;
  }
}

function realSnapshot(): { status: NvmlStatus; snapshot?: GpuSnapshot } | undefined {
  ensureAddon();
  const env: Record<string, string | undefined> = { CHILD_MODE: 'status', RYOT_NVML_LIBRARY: '', FAKE_NVML_CONFIG: '', FAKE_NVML_LOG: '' };
  const result = runChild<{ status: NvmlStatus; snapshot?: GpuSnapshot }>(CHILD_SCRIPT, env, 60_000).json;
  return result.status.available ? result : undefined;
}

const rows = nvidiaSmi();
const real = rows !== undefined ? realSnapshot() : undefined;
if (real === undefined) {
  console.log('[@ryot/nvml] real-GPU comparison skipped: no working nvidia-smi and libnvidia-ml.so.1 on this machine');
}

describe.skipIf(real === undefined)('against the real driver (nvidia-smi as reference)', () => {
  const snapshot = real?.snapshot as GpuSnapshot;
  const smi = rows as Row[];
  const mib = (bytes: number | null): number => Math.floor((bytes ?? Number.NaN) / 2 ** 20);

  it('sees the same devices with the same identity', () => {
    expect(snapshot.devices).toHaveLength(smi.length);
    for (const row of smi) {
      const device = snapshot.devices[Number(row.index)];
      expect(device?.uuid).toBe(row.uuid);
      expect(device?.name).toBe(row.name);
      expect(device?.pciBusId?.toUpperCase()).toBe(row['pci.bus_id'].toUpperCase());
    }
    expect(snapshot.driverVersion).toBe(smi[0]?.driver_version);
  });

  it('reports the same memory total and enforced power limit, and close live values', () => {
    for (const row of smi) {
      const device = snapshot.devices[Number(row.index)];
      if (!device) throw new Error(`no device ${row.index}`);
      console.log(`[@ryot/nvml] gpu ${row.index}: total ${mib(device.memoryTotalBytes)} MiB (smi ${row['memory.total']}), used ${mib(device.memoryUsedBytes)} MiB (smi ${row['memory.used']}), power ${device.powerWatts} W (smi ${row['power.draw']}), limit ${device.powerLimitWatts} W (smi ${row['enforced.power.limit']}), temp ${device.temperatureCelsius} C (smi ${row['temperature.gpu']}), energy ${device.energyJoules} J`);
      expect(mib(device.memoryTotalBytes)).toBe(Number(row['memory.total']));
      expect(Math.abs(mib(device.memoryUsedBytes) - Number(row['memory.used']))).toBeLessThanOrEqual(Math.max(512, Number(row['memory.used']) * 0.05));
      if (row['enforced.power.limit'] !== '[N/A]') expect(device.powerLimitWatts).toBeCloseTo(Number(row['enforced.power.limit']), 0);
      if (row['temperature.gpu'] !== '[N/A]') expect(Math.abs((device.temperatureCelsius ?? -100) - Number(row['temperature.gpu']))).toBeLessThanOrEqual(5);
      if (row['power.draw'] !== '[N/A]') expect(Math.abs((device.powerWatts ?? -1000) - Number(row['power.draw']))).toBeLessThanOrEqual(Math.max(30, Number(row['power.draw']) * 0.25));
      expect(device.memoryInfoVersion).toBe(2);
    }
  });
});
