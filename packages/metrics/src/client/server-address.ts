/** `server.address` / `server.port` from a base URL, as the GenAI client conventions want them. */
export interface ServerAttributes {
  address: string | undefined;
  port: number | undefined;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };
const cache = new Map<string, ServerAttributes>();

export function serverAttributes(baseURL: unknown): ServerAttributes {
  if (typeof baseURL !== 'string') return { address: undefined, port: undefined };
  const cached = cache.get(baseURL);
  if (cached) return cached;
  let result: ServerAttributes;
  try {
    const url = new URL(baseURL);
    const host = url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol];
    result = { address: host || undefined, port };
  } catch {
    result = { address: undefined, port: undefined };
  }
  if (cache.size < 64) cache.set(baseURL, result);
  return result;
}
