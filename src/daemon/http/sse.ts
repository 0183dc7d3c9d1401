/**
 * One server-sent-events client: a bounded queue drained as fast as its
 * socket takes it (the response body is pulled by the server only when the
 * socket can be written), so a client that never reads costs at most
 * MAX_QUEUED bytes here plus the kernel's buffers, and never slows anyone.
 *
 * When the queue is full, what is queued is dropped and the client is
 * marked behind; the next time its socket wants data it gets `catchUp()`
 * (a fresh snapshot, or a "N lines dropped" notice) instead of the old
 * events.
 */
const MAX_QUEUED = 16 * 1024;
const enc = new TextEncoder();

/** One event in the wire format: `event:` and one `data:` line (JSON never holds a raw newline). */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class SseClient {
  private queue: string[] = [];
  private bytes = 0;
  private behind = false;
  private wake: (() => void) | null = null;
  closed = false;

  /**
   * `catchUp`: what to send instead of the events dropped while the client
   * was behind; `onClose`: the client went away (or the server stopped).
   */
  constructor(
    private readonly catchUp: () => string,
    private readonly onClose: () => void,
  ) {}

  /** Queue an event; drops (and marks the client behind) when too much waits. */
  send(text: string): void {
    if (this.closed) return;
    if (this.behind) return; // the catch-up will cover it
    if (this.bytes + text.length > MAX_QUEUED) {
      this.queue = [];
      this.bytes = 0;
      this.behind = true;
    } else {
      this.queue.push(text);
      this.bytes += text.length;
    }
    this.wake?.();
  }

  /** Is the client too far behind to be sent more now? */
  get congested(): boolean {
    return this.closed || this.behind || this.bytes > MAX_QUEUED / 2;
  }

  /** The response body. `first` is sent at once. */
  body(first: string): ReadableStream<Uint8Array> {
    // the first event (a snapshot may be larger than the cap) is queued whole
    this.queue.push(first);
    this.bytes += first.length;
    return new ReadableStream<Uint8Array>(
      {
        pull: (c) => {
          if (this.closed) return c.close();
          if (this.bytes === 0 && !this.behind) return new Promise<void>((r) => (this.wake = r)).then(() => this.flush(c));
          this.flush(c);
        },
        cancel: () => this.close(),
      },
      { highWaterMark: 0 },
    );
  }

  /** Stop: the stream ends (server shutdown). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.bytes = 0;
    this.wake?.();
    this.onClose();
  }

  private flush(c: ReadableStreamDefaultController<Uint8Array>): void {
    this.wake = null;
    if (this.closed) return c.close();
    let text = this.queue.join("");
    if (this.behind) {
      this.behind = false;
      text = this.catchUp();
    }
    this.queue = [];
    this.bytes = 0;
    if (text !== "") c.enqueue(enc.encode(text));
  }
}
