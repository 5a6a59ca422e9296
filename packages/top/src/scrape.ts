export interface ScrapeOptions {
  /** Give up after this many milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
}

export type ScrapeResult =
  | {
      readonly ok: true;
      readonly text: string;
      /** How long the scrape took, in milliseconds. */
      readonly ms: number;
      /**
       * performance.now() when the response headers arrived: the best local estimate of when the target took its
       * snapshot (exporters serialize before they answer). Rates divide by the difference of two of these, so a slow
       * first connection does not stretch the window.
       */
      readonly at: number;
    }
  | { readonly ok: false; readonly error: string; readonly ms: number };

const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A one-line, human reason for a failed fetch: what an SRE needs to fix it. */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  const name = error && typeof error === 'object' ? (error as { name?: unknown }).name : undefined;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs / 1000}s (timeout)`;
  const code = errorCode(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the service running and exporting on this port?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found (DNS)';
    case 'ECONNRESET':
      return 'connection reset by the server';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'the server stopped answering (timeout)';
    case 'UND_ERR_SOCKET':
      return 'the server closed the connection';
    default:
      break;
  }
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message} (${code})` : message;
}

/** GETs a /metrics URL once. Never throws: failures come back as `{ ok: false, error }` with a readable reason. */
export async function scrape(url: string, options: ScrapeOptions = {}): Promise<ScrapeResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const started = performance.now();
  const headers: Record<string, string> = { accept: ACCEPT };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    const at = performance.now();
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      const hint =
        response.status === 401 || response.status === 403
          ? options.token
            ? ' (the token was refused)'
            : ' (needs a token? --token or RYOT_TOP_TOKEN)'
          : response.status === 404
            ? ' (wrong path? Ryot serves /metrics)'
            : '';
      return { ok: false, error: `HTTP ${response.status} ${response.statusText}${hint}`.replace(/ +\(/, ' ('), ms: performance.now() - started };
    }
    const text = await response.text();
    return { ok: true, text, ms: performance.now() - started, at };
  } catch (error) {
    return { ok: false, error: describeFetchError(error, timeoutMs), ms: performance.now() - started };
  }
}
