/**
 * Command-line plumbing shared by `pnpm demo` and the server's `start`: options parsed
 * strictly, and every mistake a user can make reported as one line that names the flag
 * (or variable) to change, never as a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
type ParsedValues<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>>['values'];

/** parseArgs, strict; unknown or malformed options become a one-line UsageError. */
export function parseCli<T extends Options>(args: string[], options: T): ParsedValues<T> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw error;
    // Node's message is "Unknown option '--x'. To specify a positional argument ...": keep the first sentence.
    const first = (error as Error).message.split('. ')[0]!;
    throw new UsageError(first.charAt(0).toLowerCase() + first.slice(1));
  }
}

/** A whole number in [min, max] from a flag's text, or a UsageError naming the flag. */
export function integerFlag(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got '${text}'`);
  }
  return value;
}

/** A positive number of seconds from a flag's text, or a UsageError naming the flag. */
export function secondsFlag(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new UsageError(`${name} must be a number of seconds above 0, got '${text}'`);
  return value;
}

/** One line for a listen() failure: which address, why, and the flag or variable that picks another. */
export function describeListenError(error: unknown, port: number, change: string): string | undefined {
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE') return `port ${port} is already in use; pick another with ${change} (0 picks a free one)`;
  if (code === 'EACCES') return `no permission to listen on port ${port}; pick a port above 1023 with ${change}`;
  if (code === 'EADDRNOTAVAIL') return `the address to listen on is not available on this machine (${(error as Error).message})`;
  return undefined;
}

/** Prints one line on stderr and exits: 2 for bad usage, 1 for anything else. */
export function fail(line: string, exitCode: 1 | 2): never {
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
