import { RyotConfigError } from './errors.js';
import { isRecord } from './values.js';

/** An option given per model: `models` by `model` label, `default` for every model without an entry. */
export interface PerModel<T> {
  default?: T;
  models?: Readonly<Record<string, T>>;
}

const PER_MODEL_KEYS = ['default', 'models'] as const;

/** A validated PerModel option, looked up by the label a series records under. */
export class PerModelTable<R> {
  constructor(
    private readonly fallback: R | undefined,
    private readonly byModel: ReadonlyMap<string, R>,
  ) {}

  for(label: string): R | undefined {
    return this.byModel.get(label) ?? this.fallback;
  }
}

/**
 * Checks a PerModel option at configuration time: an object with only `default` and `models`, model names that
 * are non-empty strings, and each value through `validate` (which names what it rejects by `path`).
 */
export function perModelTable<R>(option: unknown, name: string, validate: (value: unknown, path: string) => R): PerModelTable<R> | undefined {
  if (option === undefined) return undefined;
  if (!isRecord(option)) throw new RyotConfigError(`Expected { default?, models? } for ${name} but received ${option === null ? 'null' : typeof option}`);
  rejectUnknownKeys(option, PER_MODEL_KEYS, name, 'default and models');
  const fallback = option['default'] === undefined ? undefined : validate(option['default'], `${name}.default`);
  const byModel = new Map<string, R>();
  const models = option['models'];
  if (models !== undefined) {
    if (!isRecord(models)) throw new RyotConfigError(`Expected an object of model names for ${name}.models`);
    for (const [model, value] of Object.entries(models)) {
      if (model.length === 0) throw new RyotConfigError(`${name}.models has an empty model name`);
      byModel.set(model, validate(value, `${name}.models[${JSON.stringify(model)}]`));
    }
  }
  return new PerModelTable(fallback, byModel);
}

/**
 * Rejects keys of a configuration object that are not in `known` (a misspelt price or target would be silently
 * ignored); the error lists the known keys, or says `expected` instead.
 */
export function rejectUnknownKeys(value: Record<string, unknown>, known: readonly string[], path: string, expected = known.join(', ')): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new RyotConfigError(`Unknown key ${JSON.stringify(key)} in ${path} (expected ${expected})`);
  }
}
