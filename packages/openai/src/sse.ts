/** A minimal server-sent-events decoder: `data:` lines joined per event, events end at a blank line. */

export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** Splits a byte stream into SSE events. Handles \n, \r\n and \r line ends and events split across reads. */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event: string | undefined;
  let finished = false;
  try {
    while (true) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let start = 0;
      while (true) {
        let end = -1;
        let next = -1;
        for (let i = start; i < buffer.length; i++) {
          const c = buffer.charCodeAt(i);
          if (c === 10) {
            end = i;
            next = i + 1;
            break;
          }
          if (c === 13) {
            // A \r at the very end of a read may be the first half of \r\n.
            if (i + 1 === buffer.length && !done) break;
            end = i;
            next = buffer.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
            break;
          }
        }
        if (end < 0) break;
        const line = buffer.slice(start, end);
        start = next;
        if (line === '') {
          if (data.length > 0) yield { event, data: data.join('\n') };
          data = [];
          event = undefined;
          continue;
        }
        if (line.charCodeAt(0) === 58) continue; // ':' comment
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let fieldValue = colon < 0 ? '' : line.slice(colon + 1);
        if (fieldValue.charCodeAt(0) === 32) fieldValue = fieldValue.slice(1);
        if (field === 'data') data.push(fieldValue);
        else if (field === 'event') event = fieldValue;
      }
      buffer = buffer.slice(start);
      if (done) break;
    }
    if (buffer.length > 0 && buffer.startsWith('data:')) {
      data.push(buffer.slice(buffer.charCodeAt(5) === 32 ? 6 : 5));
    }
    if (data.length > 0) yield { event, data: data.join('\n') };
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
