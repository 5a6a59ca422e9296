import type { IncomingMessage } from 'node:http';
import { RequestError } from './dialect.js';

/** Reads the request body as UTF-8, refusing more than `limit` bytes with a 413. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new RequestError(413, `request body of ${declared} bytes exceeds the ${limit}-byte limit`, 'body_too_large');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    const buffer = part as Buffer;
    size += buffer.length;
    if (size > limit) {
      req.resume();
      throw new RequestError(413, `request body exceeds the ${limit}-byte limit`, 'body_too_large');
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
