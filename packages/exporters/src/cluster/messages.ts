import type { WireSnapshot } from './codec.js';

/**
 * The messages cluster mode exchanges over the `node:cluster` IPC channel. Each carries `ryotCluster: 1`, so an
 * application that listens to the same channel can skip them (`if (message?.ryotCluster) return`).
 */
export type ClusterMessage =
  /** Worker → primary, once its telemetry started: it answers collections from now on. */
  | { readonly ryotCluster: 1; readonly type: 'hello'; readonly instanceId: string }
  /** Primary → worker, when the primary's telemetry starts after the worker's: say hello (again). */
  | { readonly ryotCluster: 1; readonly type: 'announce' }
  /** Primary → worker, on a scrape; `full` asks for the whole attribute table (the primary lost track of it). */
  | { readonly ryotCluster: 1; readonly type: 'collect'; readonly id: number; readonly full?: true }
  /** Worker → primary: the answer to collection `id`; `final` when the worker sends it on shutdown, unasked. */
  | { readonly ryotCluster: 1; readonly type: 'snapshot'; readonly id: number; readonly snapshot: WireSnapshot; readonly final?: true }
  /** Worker → primary: collection `id` failed. */
  | { readonly ryotCluster: 1; readonly type: 'failed'; readonly id: number; readonly error: string };

export function isClusterMessage(message: unknown): message is ClusterMessage {
  return typeof message === 'object' && message !== null && (message as { ryotCluster?: unknown }).ryotCluster === 1;
}
