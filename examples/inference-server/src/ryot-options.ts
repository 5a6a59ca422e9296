/**
 * What the example service declares to Ryot: an SLO per model (goodput), a price table (cost), and tenants from the
 * API key each request carries (hashed, so keys never reach a label). `pnpm start` and `pnpm demo` configure the
 * default instance with these.
 */
import type { ModelPrices, PerModel, RyotOptions, SloTargets, TenantOptions } from '@ryot/metrics';

export const EXAMPLE_SLO: PerModel<SloTargets> = {
  default: { ttftSeconds: 0.5, tpotSeconds: 0.05, e2eSeconds: 10 },
  models: {
    'mistral-7b-instruct': { ttftSeconds: 0.3, tpotSeconds: 0.025, e2eSeconds: 5 },
    'qwen2.5-32b-instruct': { ttftSeconds: 1, tpotSeconds: 0.05, e2eSeconds: 20 },
  },
};

/** USD per million tokens: what an internal platform might charge back; cache reads at a tenth, writes at 1.25×. */
export const EXAMPLE_PRICES: PerModel<ModelPrices> = {
  models: {
    'llama-3.1-8b-instruct': { inputPerMillion: 0.2, outputPerMillion: 0.6, cacheReadPerMillion: 0.02, cacheWritePerMillion: 0.25 },
    'mistral-7b-instruct': { inputPerMillion: 0.15, outputPerMillion: 0.45, cacheReadPerMillion: 0.015, cacheWritePerMillion: 0.19 },
    'qwen2.5-32b-instruct': { inputPerMillion: 0.8, outputPerMillion: 2.4, cacheReadPerMillion: 0.08, cacheWritePerMillion: 1, reasoningPerMillion: 2.4 },
  },
};

/** The 20 busiest API keys get their own (hashed) tenant label, decided every 2 s among keys with 5 requests or more. */
export const EXAMPLE_TENANTS: TenantOptions = { topK: 20, minRequests: 5, admitEverySeconds: 2, hash: true };

export const EXAMPLE_RYOT_OPTIONS: RyotOptions = { slo: EXAMPLE_SLO, prices: EXAMPLE_PRICES, tenants: EXAMPLE_TENANTS };
