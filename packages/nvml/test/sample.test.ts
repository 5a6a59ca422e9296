/**
 * The real addon against the fake libnvidia-ml.so.1 (real ABI, loaded with dlopen):
 * every field, every unit conversion, and per-field failures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NVML_RETURN_CODES, NvmlClosedError, nvmlErrorName, type NvmlKnownErrorName } from '../src/errors.js';
import { NvmlSession } from '../src/session.js';
import type { GpuDeviceSample } from '../src/types.js';
import { buildFakeLibrary, ensureAddon } from './helpers/build.js';
import { BASE_CONFIG, FakeControl } from './helpers/config.js';

let fake: FakeControl;
let session: NvmlSession;

beforeAll(async () => {
  ensureAddon();
  const libraryPath = buildFakeLibrary();
  fake = new FakeControl();
  fake.install();
  const opened = await NvmlSession.open({ libraryPath });
  if (!(opened instanceof NvmlSession)) throw new Error(`NVML unavailable: ${opened.message}`);
  session = opened;
});

afterAll(async () => {
  await session?.close();
});

function device(devices: readonly GpuDeviceSample[], index: number): GpuDeviceSample {
  const found = devices.find((d) => d.index === index);
  if (!found) throw new Error(`no device ${index}`);
  return found;
}

describe('status and ABI constants', () => {
  it('reports the library, versions and the versioned entry points it chose', () => {
    const { status } = session;
    expect(status.available).toBe(true);
    expect(status.libraryPath).toBe(buildFakeLibrary());
    expect(status.driverVersion).toBe('570.133.20');
    expect(status.nvmlVersion).toBe('12.570.133.20');
    expect(status.cudaDriverVersion).toBe('12.8');
    expect(status.deviceCount).toBe(2);
    expect(status.symbols).toMatchObject({
      init: 'nvmlInit_v2',
      deviceCount: 'nvmlDeviceGetCount_v2',
      handleByIndex: 'nvmlDeviceGetHandleByIndex_v2',
      memoryV2: 'nvmlDeviceGetMemoryInfo_v2',
      memoryV1: 'nvmlDeviceGetMemoryInfo',
      pciV3: 'nvmlDeviceGetPciInfo_v3',
      processesV2: 'nvmlDeviceGetComputeRunningProcesses_v3',
      temperatureV: 'nvmlDeviceGetTemperatureV',
    });
  });

  it('computes the struct version words as sizeof | version << 24', () => {
    const { constants } = session.nativeBinding;
    expect(constants.memoryV2Version).toBe(40 | (2 << 24));
    expect(constants.memoryV2Version).toBe(0x02000028);
    expect(constants.temperatureV1Version).toBe(0x0100000c);
  });

  it('names every return code exactly as errors.ts does', () => {
    for (const [name, code] of Object.entries(NVML_RETURN_CODES) as [NvmlKnownErrorName, number][]) {
      expect(session.nativeBinding.errorName(code)).toBe(name);
      expect(nvmlErrorName(code)).toBe(name);
    }
    expect(session.nativeBinding.errorName(4242)).toBe('NVML_ERROR_CODE_4242');
    expect(nvmlErrorName(4242)).toBe('NVML_ERROR_CODE_4242');
  });
});

describe('a full sample', () => {
  it('reports every field of every device in the public units', async () => {
    fake.reset();
    const snapshot = await session.sample();
    expect(snapshot.driverVersion).toBe('570.133.20');
    expect(snapshot.nvmlVersion).toBe('12.570.133.20');
    expect(snapshot.cudaDriverVersion).toBe('12.8');
    expect(snapshot.errors).toEqual({});
    expect(snapshot.devices).toHaveLength(2);
    const total = 150754820096;
    const reserved = 598736896;
    expect(device(snapshot.devices, 0)).toEqual({
      index: 0,
      handleError: null,
      name: 'NVIDIA H200',
      uuid: 'GPU-11111111-2222-3333-4444-555555555555',
      pciBusId: '00000000:18:00.0',
      memoryInfoVersion: 2,
      memoryTotalBytes: total,
      memoryUsedBytes: 70000000000, // v2: allocated only
      memoryFreeBytes: total - reserved - 70000000000,
      memoryReservedBytes: reserved,
      utilizationGpuPercent: 87,
      utilizationMemoryPercent: 41,
      temperatureCelsius: 54,
      powerWatts: 312.456, // 312456 mW
      powerLimitWatts: 700, // 700000 mW
      energyJoules: 123456.789, // 123456789 mJ
      clockSmMHz: 1980,
      clockMemoryMHz: 3201,
      processMemoryBytes: 68719476736, // only this process's entry, not pid 4242's
      processPresent: true,
      processCount: 2,
      errors: {},
    });
    const second = device(snapshot.devices, 1);
    expect(second.uuid).toBe('GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
    expect(second.powerWatts).toBe(75.25);
    expect(second.powerLimitWatts).toBe(600);
    expect(second.energyJoules).toBe(5);
    expect(second.clockSmMHz).toBe(345);
    expect(second.processMemoryBytes).toBe(0);
    expect(second.processPresent).toBe(false);
    expect(second.processCount).toBe(0);
  });

  it('calls the versioned symbols, never their unversioned v1 twins', async () => {
    fake.reset();
    fake.clearCalls();
    await session.sample();
    const calls = new Set(fake.calls());
    for (const symbol of ['nvmlDeviceGetCount_v2', 'nvmlDeviceGetHandleByIndex_v2', 'nvmlDeviceGetMemoryInfo_v2', 'nvmlDeviceGetComputeRunningProcesses_v3', 'nvmlDeviceGetPciInfo_v3', 'nvmlDeviceGetTemperatureV']) {
      expect(calls.has(symbol), symbol).toBe(true);
    }
    for (const symbol of ['nvmlDeviceGetCount', 'nvmlDeviceGetHandleByIndex', 'nvmlDeviceGetMemoryInfo', 'nvmlDeviceGetComputeRunningProcesses', 'nvmlDeviceGetTemperature']) {
      expect(calls.has(symbol), symbol).toBe(false);
    }
  });

  it('uses the two-call protocol for processes (size query, then the list)', async () => {
    fake.reset();
    fake.clearCalls();
    await session.sample();
    const processCalls = fake.calls().filter((c) => c === 'nvmlDeviceGetComputeRunningProcesses_v3');
    // device 0: query (INSUFFICIENT_SIZE) + fetch; device 1: query answers SUCCESS with no processes.
    expect(processCalls).toHaveLength(3);
  });
});

describe('per-field failures', () => {
  it('NOT_SUPPORTED for one field nulls only that field, with the code name', async () => {
    fake.reset({ ...BASE_CONFIG, 'dev.0.fail.power': 3 });
    const first = device((await session.sample()).devices, 0);
    expect(first.powerWatts).toBeNull();
    expect(first.errors).toEqual({ powerWatts: 'NVML_ERROR_NOT_SUPPORTED' });
    expect(first.powerLimitWatts).toBe(700);
    expect(first.temperatureCelsius).toBe(54);
    expect(first.memoryUsedBytes).toBe(70000000000);
  });

  it('GPU_IS_LOST mid-run marks that device, keeps the other one', async () => {
    fake.reset();
    expect(device((await session.sample()).devices, 1).temperatureCelsius).toBe(31);
    fake.set({ 'dev.1.lost': 1 });
    const snapshot = await session.sample();
    const lost = device(snapshot.devices, 1);
    expect(lost.temperatureCelsius).toBeNull();
    expect(lost.memoryUsedBytes).toBeNull();
    expect(lost.uuid).toBeNull();
    expect(lost.errors.temperatureCelsius).toBe('NVML_ERROR_GPU_IS_LOST');
    expect(lost.errors.memoryTotalBytes).toBe('NVML_ERROR_GPU_IS_LOST');
    expect(lost.errors.processMemoryBytes).toBe('NVML_ERROR_GPU_IS_LOST');
    expect(Object.keys(lost.errors)).toHaveLength(16);
    expect(device(snapshot.devices, 0).temperatureCelsius).toBe(54);
  });

  it('a device whose handle cannot be had is listed with handleError only', async () => {
    fake.reset({ ...BASE_CONFIG, 'dev.0.handle_fail': 4 });
    const snapshot = await session.sample();
    const denied = device(snapshot.devices, 0);
    expect(denied.handleError).toBe('NVML_ERROR_NO_PERMISSION');
    expect(denied.memoryTotalBytes).toBeNull();
    expect(device(snapshot.devices, 1).handleError).toBeNull();
  });

  it('a process list that grows between the two calls is retried (INSUFFICIENT_SIZE)', async () => {
    fake.reset({ ...BASE_CONFIG, 'dev.0.procs_grow_once': 40 });
    fake.clearCalls();
    const first = device((await session.sample()).devices, 0);
    expect(first.processMemoryBytes).toBe(68719476736);
    expect(first.errors.processMemoryBytes).toBeUndefined();
    const calls = fake.calls().filter((c) => c === 'nvmlDeviceGetComputeRunningProcesses_v3');
    expect(calls).toHaveLength(4); // device 0: query, too-small fetch, retry; device 1: query
  });

  it('a process list that keeps failing with INSUFFICIENT_SIZE ends as a field error', async () => {
    fake.reset({ ...BASE_CONFIG, 'dev.0.fail.procs': 7 });
    const first = device((await session.sample()).devices, 0);
    expect(first.processMemoryBytes).toBeNull();
    expect(first.processCount).toBeNull();
    expect(first.errors).toEqual({ processMemoryBytes: 'NVML_ERROR_INSUFFICIENT_SIZE' });
    expect(first.memoryTotalBytes).toBe(150754820096);
  });

  it.each([
    ['FUNCTION_NOT_FOUND (R510-era drivers)', 13],
    ['ARGUMENT_VERSION_MISMATCH', 25],
  ])('a driver that rejects the memory v2 version word with %s falls back to v1', async (_label, code) => {
    fake.reset({ ...BASE_CONFIG, mem_v2_version: 2, version_mismatch_rc: code });
    const first = device((await session.sample()).devices, 0);
    expect(first.memoryInfoVersion).toBe(1);
    expect(first.memoryTotalBytes).toBe(150754820096);
    expect(first.memoryUsedBytes).toBe(70000000000 + 598736896); // v1 used = allocated + reserved
    expect(first.memoryReservedBytes).toBeNull();
    expect(first.errors).toEqual({ memoryReservedBytes: 'NVML_ERROR_NOT_SUPPORTED' });
  });

  it('memory NOT_SUPPORTED on both paths nulls all memory fields', async () => {
    fake.reset({ ...BASE_CONFIG, 'dev.1.fail.memory': 3 });
    const second = device((await session.sample()).devices, 1);
    expect(second.memoryInfoVersion).toBeNull();
    expect(second.memoryTotalBytes).toBeNull();
    expect(second.errors.memoryUsedBytes).toBe('NVML_ERROR_NOT_SUPPORTED');
    expect(second.errors.memoryReservedBytes).toBe('NVML_ERROR_NOT_SUPPORTED');
    expect(second.temperatureCelsius).toBe(31);
  });

  it('usedGpuMemory = NVML_VALUE_NOT_AVAILABLE is reported as NO_DATA, not as 16 EiB', async () => {
    fake.reset({ ...BASE_CONFIG, 'dev.0.procs': 'self:0xFFFFFFFFFFFFFFFF' });
    const first = device((await session.sample()).devices, 0);
    expect(first.processPresent).toBe(true);
    expect(first.processMemoryBytes).toBeNull();
    expect(first.errors.processMemoryBytes).toBe('NVML_ERROR_NO_DATA');
  });
});

describe('lifecycle', () => {
  it('close() shuts NVML down once (ref-counted) and later samples throw RYOT_NVML_CLOSED', async () => {
    fake.reset();
    const extra = await NvmlSession.open({ libraryPath: buildFakeLibrary() });
    if (!(extra instanceof NvmlSession)) throw new Error(extra.message);
    fake.clearCalls();
    await Promise.all([extra.close(), extra.close()]);
    expect(fake.calls().filter((c) => c === 'nvmlShutdown')).toHaveLength(1);
    await expect(extra.sample()).rejects.toBeInstanceOf(NvmlClosedError);
    await expect(extra.sample()).rejects.toMatchObject({ code: 'RYOT_NVML_CLOSED' });
    // The first session still holds its own init.
    expect((await session.sample()).devices).toHaveLength(2);
  });
});
