export {
  METRICS,
  ALL_METRICS,
  ERROR_TYPES,
  REQUEST_STATUSES,
  RYOT_METER_NAME,
  ATTR_MODEL,
  ATTR_STATUS,
  ATTR_ERROR_TYPE,
  ATTR_GPU_ID,
  prometheusName,
  prometheusType,
} from './catalog.js';
export type { MetricDefinition, MetricGroup, InstrumentKind, MetricKey, RequestStatus, ErrorType } from './catalog.js';
export { createInstrument } from './instruments.js';
export type { InstrumentFor } from './instruments.js';
export { ryotViews } from './views.js';
export type { RyotViewsOptions } from './views.js';
