import { Ryot } from './ryot.js';

let defaultRyot: Ryot | undefined;

/** The instance behind the top-level API; created on first use, never at import. */
export function getDefaultRyot(): Ryot {
  return (defaultRyot ??= new Ryot());
}
