/**
 * One connection to cfkd's management socket (unix or TCP), speaking the
 * ControlFreak 1.0 protocol as its own client did: a request line ending
 * in CRLF, then the reply's body lines up to `OK` or `ERROR: …`.
 *
 * Races handled: a reply split across reads (and a UTF-8 character split
 * across chunks); a write the kernel takes only in part (the rest waits for
 * `drain`); the daemon closing the connection mid-reply (the request fails
 * with "connection closed", never hangs); a daemon that never accepts or
 * never answers (out of descriptors, stopped, wedged): connect and each
 * request give up after `timeoutMs` with exit 3 — but a stream (`tail -f`)
 * waits as long as it runs.
 */
import type { Socket } from "bun";
import { formatAddress, type Address } from "../protocol/address.ts";
import { ReplyReader, type Reply } from "../protocol/framing.ts";
import { CliError, connectReason, daemonError, say } from "./errors.ts";

type Pending = { body: string[]; resolve(r: Reply): void; reject(e: Error): void; onLine?: (line: string) => void };

export class Connection {
  private pending: Pending[] = [];
  private outbox: Uint8Array[] = [];
  private closed = false;
  private ending = false;
  private closedWaiters: (() => void)[] = [];
  // Bodies are collected here, not by the reader, so that a streamed reply
  // (`tail -f`, which may run for days) is never held in memory.
  private readonly reader = new ReplyReader(
    (r) => {
      const p = this.pending.shift();
      p?.resolve(r.error === undefined ? { body: p.body } : { body: p.body, error: r.error });
    },
    (line) => {
      const p = this.pending[0];
      if (p?.onLine) p.onLine(line);
      else p?.body.push(line);
    },
    false,
  );
  private sock!: Socket<undefined>;

  private constructor(
    readonly address: string,
    /** the longest wait for connect and for each reply; 0: none */
    private readonly timeoutMs: number,
  ) {}

  /**
   * Connect, or throw the "cannot reach the daemon" CliError (exit 3). With
   * a token, authenticate first (`auth TOKEN`); a refusal is exit 1.
   */
  static async open(address: Address, token?: string, timeoutMs = 0): Promise<Connection> {
    const c = new Connection(formatAddress(address), timeoutMs);
    const dec = new TextDecoder();
    const socket = {
      data: (_s: Socket<undefined>, d: Uint8Array) => c.reader.feed(dec.decode(d, { stream: true })),
      drain: () => c.flush(),
      close: () => c.onClose(),
      error: () => c.onClose(),
    };
    const connecting =
      address.kind === "unix" ? Bun.connect({ unix: address.path, socket }) : Bun.connect({ hostname: address.host, port: address.port, socket });
    try {
      c.sock = await c.deadline(connecting, () => void connecting.then((s) => s.terminate(), () => {}));
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError("unreachable", say.unreachable(c.address, connectReason(e)));
    }
    if (token !== undefined) {
      const r = await c.request(`auth ${token}`);
      if (r.error !== undefined) {
        c.close();
        throw daemonError(r.error);
      }
    }
    return c;
  }

  /** Send one request line and wait (at most timeoutMs) for its whole reply. */
  request(line: string): Promise<Reply> {
    return this.deadline(this.send(line), () => this.abort());
  }

  /**
   * Like request, but every body line is handed to onLine as it arrives.
   * `timed`: false for a stream that runs until stopped (`tail -f`).
   */
  stream(line: string, onLine: (line: string) => void, timed: boolean): Promise<Reply> {
    const p = this.send(line, onLine);
    return timed ? this.deadline(p, () => this.abort()) : p;
  }

  /** p, or the exit-3 "did not answer" error after timeoutMs (then `giveUp` runs). */
  private deadline<T>(p: Promise<T>, giveUp: () => void): Promise<T> {
    if (this.timeoutMs <= 0) return p;
    let timer!: ReturnType<typeof setTimeout>;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new CliError("unreachable", say.timedOut(this.address, this.timeoutMs / 1000)));
        giveUp(); // after: closing fails the pending request too, and the first word wins
      }, this.timeoutMs);
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  /** Resolves when the daemon has closed the connection. */
  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => this.closedWaiters.push(r));
  }

  /** Say goodbye (the original client's `exit`) and close. */
  close(): void {
    if (this.closed || this.ending) return;
    this.write("exit\r\n");
    this.abort();
  }

  /** Close without a goodbye (Ctrl-C during a stream). */
  abort(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    this.sock.end();
  }

  private send(line: string, onLine?: (line: string) => void): Promise<Reply> {
    if (this.closed) return Promise.reject(new CliError("unreachable", say.connectionLost(this.address)));
    return new Promise((resolve, reject) => {
      this.pending.push({ body: [], resolve, reject, onLine });
      this.write(`${line}\r\n`);
    });
  }

  private write(text: string): void {
    this.outbox.push(new TextEncoder().encode(text));
    if (this.outbox.length === 1) this.flush();
  }

  private flush(): void {
    while (this.outbox.length > 0) {
      const head = this.outbox[0]!;
      const n = this.sock.write(head);
      if (n < head.length) {
        this.outbox[0] = head.subarray(Math.max(n, 0));
        return;
      }
      this.outbox.shift();
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.splice(0)) p.reject(new CliError("unreachable", say.connectionLost(this.address)));
    for (const w of this.closedWaiters.splice(0)) w();
  }
}
