/**
 * Unpacks a sample from the addon (Int32Array of NVML codes, Float64Array of
 * numbers, string array) using the slot names the addon exports in
 * constants.layout, so the native and TS sides cannot disagree on the order.
 */
import { nvmlErrorName } from './errors.js';
import type { NativeDevice, NativeLayout, NativePacked, NativeSample } from './internal-types.js';

/** Slots that describe a field rather than being one; they never get an errors entry. */
const META_SLOTS = new Set(['memoryVersion', 'processPresent', 'processCount']);

class Cursor {
  code = 0;
  value = 0;
  string = 0;
  constructor(private readonly packed: NativePacked) {}

  nextCode(): number {
    return this.packed.codes[this.code++] ?? -1;
  }
  readString(target: Record<string, unknown>, errors: Record<string, string>, name: string): void {
    const code = this.nextCode();
    const value = this.packed.strings[this.string++] ?? '';
    this.assign(target, errors, name, code, value);
  }
  readValue(target: Record<string, unknown>, errors: Record<string, string>, name: string): void {
    const code = this.nextCode();
    const value = this.packed.values[this.value++] ?? 0;
    this.assign(target, errors, name, code, name === 'processPresent' ? value === 1 : value);
  }
  skip(layout: NativeLayout): void {
    this.code += layout.deviceStrings.length + layout.deviceValues.length;
    this.string += layout.deviceStrings.length;
    this.value += layout.deviceValues.length;
  }
  private assign(target: Record<string, unknown>, errors: Record<string, string>, name: string, code: number, value: unknown): void {
    if (code === 0) {
      target[name] = value;
      return;
    }
    target[name] = name === 'processPresent' ? false : null;
    if (!META_SLOTS.has(name)) errors[name] = nvmlErrorName(code);
  }
}

export function decodeSample(packed: NativePacked, layout: NativeLayout): NativeSample {
  const cursor = new Cursor(packed);
  const system: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const name of layout.systemStrings) cursor.readString(system, errors, name);
  for (const name of layout.systemValues) cursor.readValue(system, errors, name);
  const devices: NativeDevice[] = [];
  for (let index = 0; index < packed.devices; index += 1) {
    const deviceErrors: Record<string, string> = {};
    const device: Record<string, unknown> = { index, errors: deviceErrors };
    const handleCode = cursor.nextCode();
    if (handleCode !== 0) {
      device.handleError = nvmlErrorName(handleCode);
      cursor.skip(layout);
    } else {
      for (const name of layout.deviceStrings) cursor.readString(device, deviceErrors, name);
      for (const name of layout.deviceValues) cursor.readValue(device, deviceErrors, name);
    }
    devices.push(device as unknown as NativeDevice);
  }
  return { ...(system as Omit<NativeSample, 'devices' | 'errors'>), errors, devices };
}
