import {
  ValueType,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type MetricOptions,
  type Observable,
  type ObservableCounter,
  type ObservableGauge,
  type ObservableUpDownCounter,
  type UpDownCounter,
} from '@opentelemetry/api';
import { METRICS, type InstrumentKind, type MetricDefinition, type MetricKey, type Metrics } from './catalog.js';

interface InstrumentByKind {
  counter: Counter;
  histogram: Histogram;
  gauge: Gauge;
  updowncounter: UpDownCounter;
  observable_gauge: ObservableGauge;
  observable_counter: ObservableCounter;
  observable_updowncounter: ObservableUpDownCounter;
}

export type InstrumentFor<D extends MetricDefinition> = InstrumentByKind[D['kind']];

/** The OTel instruments for a set of catalog keys, each typed from its catalog entry. */
export type InstrumentSet<K extends MetricKey> = { readonly [P in K]: InstrumentFor<Metrics[P]> };

function metricOptions(definition: MetricDefinition): MetricOptions {
  const options: MetricOptions = {
    description: definition.description,
    unit: definition.unit,
    valueType: definition.integer ? ValueType.INT : ValueType.DOUBLE,
  };
  if (definition.buckets) {
    // Advice gives the right buckets even to a MeterProvider built without ryotViews().
    options.advice = { explicitBucketBoundaries: [...definition.buckets] };
  }
  return options;
}

/** Creates the OTel instrument a catalog entry describes, on the given meter. */
export function createInstrument<D extends MetricDefinition>(meter: Meter, definition: D): InstrumentFor<D> {
  const options = metricOptions(definition);
  const kind: InstrumentKind = definition.kind;
  const create: { [K in InstrumentKind]: () => InstrumentByKind[K] } = {
    counter: () => meter.createCounter(definition.name, options),
    histogram: () => meter.createHistogram(definition.name, options),
    gauge: () => meter.createGauge(definition.name, options),
    updowncounter: () => meter.createUpDownCounter(definition.name, options),
    observable_gauge: () => meter.createObservableGauge(definition.name, options),
    observable_counter: () => meter.createObservableCounter(definition.name, options),
    observable_updowncounter: () => meter.createObservableUpDownCounter(definition.name, options),
  };
  return create[kind]() as InstrumentFor<D>;
}

/** Creates one instrument per catalog key on `meter`. */
export function createInstruments<K extends MetricKey>(meter: Meter, keys: readonly K[]): InstrumentSet<K> {
  return Object.fromEntries(keys.map((key) => [key, createInstrument(meter, METRICS[key])])) as unknown as InstrumentSet<K>;
}

/** The observable instruments of a set: the ones a batch observable callback reports. */
export function observablesOf<K extends MetricKey>(set: InstrumentSet<K>, keys: readonly K[]): Observable[] {
  return keys.filter((key) => METRICS[key].kind.startsWith('observable_')).map((key) => set[key] as Observable);
}
