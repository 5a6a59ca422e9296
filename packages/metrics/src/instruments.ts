import {
  ValueType,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type MetricOptions,
  type ObservableCounter,
  type ObservableGauge,
  type ObservableUpDownCounter,
  type UpDownCounter,
} from '@opentelemetry/api';
import type { InstrumentKind, MetricDefinition } from './catalog.js';

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
