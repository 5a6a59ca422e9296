import { parseExposition } from '@ryot/top';

/**
 * Scrapes `metricsUrl` once every request the server started has finished (ryot_inference_requests_in_flight sums
 * to 0), so the summary counts them all. The load generator is done when its last stream is aborted, but the server
 * records that request (cancelled, with its cost and goodput verdict) only when it sees the connection close, which
 * can come after a scrape sent at once. Gives up waiting after `timeoutMs` and returns the last scrape.
 */
export async function scrapeWhenSettled(metricsUrl: string, { timeoutMs = 5_000, pollMs = 20 } = {}): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(metricsUrl)).text();
    const inFlight = parseExposition(text).sum('ryot_inference_requests_in_flight') ?? 0;
    if (inFlight <= 0 || performance.now() >= deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
