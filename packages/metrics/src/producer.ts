import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import type { CollectionResult, MetricData, MetricProducer, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { METRICS, RYOT_METER_NAME, type MetricDefinition } from './catalog.js';
import type { Recorder } from './recorder.js';
import { RYOT_VERSION } from './version.js';

/**
 * `DataPointType.GAUGE` and `AggregationTemporality.CUMULATIVE` of @opentelemetry/sdk-metrics (numeric enums, the
 * same in 2.x and 3.x): written as literals so the SDK stays an optional peer; a test pins them to the SDK's enums.
 */
const GAUGE = 2;
const CUMULATIVE = 1;

/** Readers use their own provider's resource and ignore a producer's (sdk-metrics MetricReader.collect). */
const IGNORED_RESOURCE = {} as ResourceMetrics['resource'];

function hrTime(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  return [seconds, Math.round((epochMs - seconds * 1000) * 1e6)];
}

function gauge(definition: MetricDefinition, sets: Iterable<Attributes>, time: HrTime): MetricData | undefined {
  const dataPoints = [...sets].map((attributes) => ({ startTime: time, endTime: time, attributes, value: 1 }));
  if (dataPoints.length === 0) return undefined;
  return {
    descriptor: { name: definition.name, description: definition.description, unit: definition.unit, valueType: ValueType.DOUBLE },
    aggregationTemporality: CUMULATIVE,
    dataPointType: GAUGE,
    dataPoints,
  } as MetricData;
}

/**
 * Hands a reader, at each collection, the Ryot metrics whose series must be able to disappear: the info metrics.
 * The OTel SDK keeps every attribute set an observable instrument ever reported, so replaced info labels would stay
 * at 1 forever; a producer reports only the current sets.
 */
export class RyotMetricProducer implements MetricProducer {
  /** How many times a reader collected from this producer. */
  collections = 0;

  constructor(private readonly recorder: Recorder) {}

  async collect(): Promise<CollectionResult> {
    this.collections++;
    const time = hrTime(Date.now());
    const { system, models } = this.recorder.infoSets();
    const metrics = [gauge(METRICS.systemInfo, system ? [system] : [], time), gauge(METRICS.modelInfo, models, time)].filter(
      (metric): metric is MetricData => metric !== undefined,
    );
    return {
      resourceMetrics: { resource: IGNORED_RESOURCE, scopeMetrics: [{ scope: { name: RYOT_METER_NAME, version: RYOT_VERSION }, metrics }] },
      errors: [],
    };
  }
}
