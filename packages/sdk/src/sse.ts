import { createParser, type EventSourceMessage } from "eventsource-parser";

/** Thrown when an event stream ends or breaks before its last event; the caller may reconnect. */
export class StreamDroppedError extends Error {
  override name = "StreamDroppedError";
}

export interface ReadEventsOptions {
  /** Aborts the read; the iterator then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /**
   * Silence (no event, no comment) longer than this counts as a dropped stream. The server sends a
   * comment every 15 s, so the default of 45 s means three missed heartbeats.
   */
  idleTimeoutMs?: number | undefined;
}

/**
 * Yields the events of a `text/event-stream` body as they arrive. Ends when the body ends; a body
 * that breaks (connection reset, silence past `idleTimeoutMs`) rejects with StreamDroppedError.
 */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
  options: ReadEventsOptions = {},
): AsyncGenerator<EventSourceMessage, void, undefined> {
  const { signal } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const reader = body.getReader();
  const decoder = new TextDecoder();

  let idle = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const armIdleTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      idle = true;
      void reader.cancel().catch(() => {});
    }, idleTimeoutMs);
  };
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });

  try {
    for (;;) {
      signal?.throwIfAborted();
      armIdleTimer();
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        signal?.throwIfAborted();
        throw new StreamDroppedError(`the event stream broke: ${(error as Error).message}`, { cause: error });
      }
      signal?.throwIfAborted();
      if (idle) throw new StreamDroppedError(`the event stream was silent for ${idleTimeoutMs} ms`);
      if (chunk.done) return;
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      while (pending.length > 0) yield pending.shift() as EventSourceMessage;
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    // Leaving early (break, an error, return): close the connection.
    await reader.cancel().catch(() => {});
  }
}
