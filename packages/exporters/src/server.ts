import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsRequestHandler } from './prometheus.js';

export interface PrometheusServerOptions {
  /** undefined: all interfaces (Node's unspecified address). */
  host: string | undefined;
  /** 0 picks a free port. */
  port: number;
  path: string;
}

export interface PrometheusServer {
  readonly server: Server;
  /** The address actually bound. */
  readonly host: string;
  /** The port actually bound (the real one when 0 was asked for). */
  readonly port: number;
  /** A URL that reaches the endpoint from this host. */
  readonly url: string;
  close(): Promise<void>;
}

function reachableHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}

/**
 * Our own node:http server for the scrape endpoint: unlike OTel's it can bind port 0,
 * reports the bound port, and answers only `path` (404 elsewhere). It is unref'd like
 * OTel's, so it never keeps the process alive on its own.
 */
export function startPrometheusServer(handler: MetricsRequestHandler, options: PrometheusServerOptions): Promise<PrometheusServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === options.path) {
      handler(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not Found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      const where = `${options.host ?? '(all interfaces)'}:${options.port}`;
      reject(new Error(`@ryot/exporters: the Prometheus server could not listen on ${where}: ${error.message}`, { cause: error }));
    });
    server.listen(options.port, options.host, () => {
      server.unref();
      const address = server.address() as AddressInfo;
      resolve({
        server,
        host: address.address,
        port: address.port,
        url: `http://${reachableHost(address.address)}:${address.port}${options.path}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
