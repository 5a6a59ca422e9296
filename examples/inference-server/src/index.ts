export { createInferenceServer } from './server/server.js';
export type { InferenceServer, InferenceServerOptions, MetricsHandler } from './server/server.js';
export { ModelEngine } from './engine/engine.js';
export { DEFAULT_MODELS, DEMO_FAULTS, NO_FAULTS } from './engine/model-spec.js';
export type { FaultRates, ModelSpec } from './engine/model-spec.js';
export { EXAMPLE_PRICES, EXAMPLE_RYOT_OPTIONS, EXAMPLE_SLO, EXAMPLE_TENANTS } from './ryot-options.js';
