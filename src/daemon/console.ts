/**
 * The management console (SPEC §3): accepts connections on the management
 * socket, frames request lines, hands each to the controller and writes the
 * reply. Requests of one connection are answered in order.
 *
 * Races and limits handled here:
 * - a line over MAX_REQUEST gets `ERROR: line too long` and the connection
 *   is closed (we cannot know where the next request starts);
 * - a client that does not read its replies: once OUT_HIGH bytes wait to be
 *   sent, we stop reading and answering it (Bun pauses the socket) until it
 *   drains, so its cost to the daemon stays bounded; if it stays stuck for
 *   STUCK_MS it is disconnected;
 * - with a token (TCP consoles, SPEC §10), nothing but `auth` and `exit` is
 *   answered until the connection has sent the right `auth TOKEN`; until
 *   then the connection is a stranger's and admission.ts rules it (its own
 *   cap, apart from `maxConnections`; a deadline; a few wrong tokens; a
 *   rate-limited log). It takes one of the operator's slots only once
 *   authenticated;
 * - a client that disconnects mid-request: its pending output is dropped;
 * - a reply that comes later (an action over many services, run in slices,
 *   or a request waiting behind one): nothing more of that connection is
 *   answered until it has been written, so replies stay in order; other
 *   connections are answered meanwhile;
 * - a streaming reply (`tail -f`): the connection answers nothing more, its
 *   input is discarded, and the stream is told to drop lines whenever
 *   FOLLOW_HIGH bytes wait for the client (it never blocks anyone else, and
 *   is not disconnected for being slow); the stream stops when the
 *   connection closes.
 */
import type { Socket } from "bun";
import { parseRequest } from "../protocol/request.ts";
import { formatReply, formatBody, errorLine, type Follow } from "../protocol/framing.ts";
import { msg } from "../protocol/messages.ts";
import { type Address } from "../protocol/address.ts";
import type { Reply } from "../protocol/framing.ts";
import type { Request } from "../protocol/request.ts";
import type { DaemonLog } from "./logging/types.ts";
import { tokenMatches } from "./auth.ts";
import { Admission, DEFAULT_ADMISSION, RateLimitedLog, type AdmissionRules } from "./admission.ts";
import { Listener } from "./listener.ts";
import { listenAt } from "./os/unixpath.ts";
import { unlinkQuietly } from "./os/files.ts";

export const MAX_REQUEST = 64 * 1024;
const OUT_HIGH = 64 * 1024;
const STUCK_MS = 30_000;
/** how long a connection over the cap may wait to send its first request */
const REFUSED_MS = 5_000;
/** a streaming reply drops lines while this much waits for its client (a burst is ~300 KB) */
const FOLLOW_HIGH = 1024 * 1024;

export type ConsoleOptions = {
  address: Address;
  readonly: boolean;
  /** when set, each connection must `auth` with it first */
  token?: string;
  maxConnections: number;
  /** how strangers are treated on a console with a token (defaults: DEFAULT_ADMISSION) */
  admission?: Partial<AdmissionRules>;
  log: DaemonLog;
  execute(req: Request, conn: { readonly: boolean; mayDefer: boolean }): Reply;
};

type Conn = {
  id: number;
  peer: string;
  input: Buffer;
  out: Buffer[];
  outBytes: number;
  closing: boolean;
  closed: boolean;
  authorized: boolean;
  /** cancels the stuck-client timer */
  stuck: (() => void) | null;
  /** set while a streaming reply runs: stops it */
  stopFollow: (() => void) | null;
  /** over the connection cap: its first request gets the error, then it is closed */
  refused: boolean;
  /** a reply is still being worked out (Reply.later) */
  waiting: boolean;
};

export class Console {
  private listener: Listener<Conn> | null = null;
  private conns = new Set<Socket<Conn>>();
  private nextId = 1;
  private closedListeners = new Set<() => void>();
  /** only on a console with a token */
  private readonly gate: Admission<Socket<Conn>> | null;
  /** rate-limited log lines (strangers, descriptor exhaustion) */
  private readonly logs: RateLimitedLog;
  /** requests answered since start (for metrics) */
  requests = 0;

  constructor(private readonly opts: ConsoleOptions) {
    this.gate = opts.token === undefined ? null : new Admission({ ...DEFAULT_ADMISSION, ...opts.admission }, opts.log, "console");
    this.logs = this.gate?.logs ?? new RateLimitedLog(opts.log, DEFAULT_ADMISSION.logIntervalMs);
  }

  get address(): Address {
    return this.opts.address;
  }

  get readonly(): boolean {
    return this.opts.readonly;
  }

  /**
   * Start listening, replacing a stale unix socket but never one that
   * answers, nor a file that is no socket; throws a StartError that says why not.
   */
  listen(): void {
    listenAt(this.opts.address, () => {
      this.listener = Listener.open<Conn>(this.opts.address, this.handlers(), this.logs, "console");
    });
  }

  /** Unix socket file the console made, removed at shutdown (before the connections close). */
  removeSocketFile(): void {
    if (this.opts.address.kind === "unix") unlinkQuietly(this.opts.address.path);
  }

  /** The real TCP port (when listening on port 0). */
  get port(): number | null {
    return this.listener?.port ?? null;
  }

  /**
   * The daemon used or ran out of descriptors elsewhere (a spawn): stop
   * accepting while none is free, before an accept fails (see listener.ts).
   */
  checkDescriptors(): void {
    this.listener?.check();
  }

  /** Is it bound (between listen and close)? */
  get listening(): boolean {
    return this.listener !== null;
  }

  /** Stop accepting; close every connection once its output is flushed. */
  close(): void {
    this.listener?.close();
    this.listener = null;
    this.gate?.close();
    this.logs.close();
    for (const s of this.conns) this.endWhenFlushed(s);
  }

  /** Call `fn` whenever a connection ends (a client's work is done); returns the unsubscribe. */
  onConnectionClosed(fn: () => void): () => void {
    this.closedListeners.add(fn);
    return () => this.closedListeners.delete(fn);
  }

  get connections(): number {
    return this.conns.size;
  }

  /** connections holding one of the operator's slots (every one, without a token) */
  private get operators(): number {
    return this.conns.size - (this.gate?.unauthenticated ?? 0);
  }

  /** Refused, but told why: its first request gets the error, then it is closed. */
  private refuse(s: Socket<Conn>): void {
    // (closing at once would reach most clients as a reset, with no message at all)
    s.data.refused = true;
    this.opts.log.event("warn", `refused console connection from ${s.data.peer}: too many connections`);
    const t = setTimeout(() => s.terminate(), REFUSED_MS);
    s.data.stuck = () => clearTimeout(t);
  }

  private handlers() {
    const self = this;
    return {
      binaryType: "buffer" as const,
      open(s: Socket<Conn>) {
        self.listener?.check(); // the next accept needs a descriptor: stop accepting while none is free
        s.data = {
          id: self.nextId++,
          peer: peerOf(s, self.opts.address),
          input: Buffer.alloc(0),
          out: [],
          outBytes: 0,
          closing: false,
          closed: false,
          authorized: self.opts.token === undefined,
          stuck: null,
          stopFollow: null,
          refused: false,
          waiting: false,
        };
        if (self.gate) {
          // a stranger until `auth`: logged and counted then (see admission.ts)
          self.conns.add(s);
          self.gate.arrive(s, s.data.peer, () => s.terminate());
          return;
        }
        if (self.conns.size >= self.opts.maxConnections) return self.refuse(s);
        self.conns.add(s);
        self.opts.log.event("debug", `new connection to admin from ${s.data.peer}`);
      },
      data(s: Socket<Conn>, chunk: Buffer) {
        const c = s.data;
        if (c.closing || c.closed || c.stopFollow) return;
        c.input = c.input.length === 0 ? chunk : Buffer.concat([c.input, chunk]);
        self.pump(s);
      },
      drain(s: Socket<Conn>) {
        self.flush(s);
        if (s.data.outBytes < OUT_HIGH) {
          s.data.stuck?.();
          s.data.stuck = null;
          s.resume();
          self.pump(s);
        }
      },
      close(s: Socket<Conn>) {
        self.listener?.freed();
        s.data.closed = true;
        s.data.out = [];
        s.data.stuck?.();
        s.data.stopFollow?.();
        self.gate?.gone(s);
        if (self.conns.delete(s) && s.data.authorized) self.opts.log.event("debug", "Console connection closed");
        for (const l of self.closedListeners) l();
      },
      error(s: Socket<Conn>, err: Error) {
        // a stranger's errors (resets) cost the log one line a minute, not one each
        if (s.data?.authorized !== false) self.opts.log.event("error", `Console connection error: ${err.message}`);
        else self.logs.note("conn-error", "error", `Console connection error: ${err.message}`, (n, secs) => `${n} more console connection errors in the last ${secs}s`);
      },
    };
  }

  /** Answer every complete line, as long as the client keeps reading. */
  private pump(s: Socket<Conn>): void {
    const c = s.data;
    if (c.stopFollow) return; // streaming: nothing more to answer, and slowness costs it lines, not the connection
    while (!c.closing && !c.closed && !c.waiting && c.outBytes < OUT_HIGH) {
      const nl = c.input.indexOf(0x0a);
      if (nl < 0) {
        if (c.input.length > MAX_REQUEST) this.tooLong(s);
        return;
      }
      if (nl > MAX_REQUEST) return this.tooLong(s);
      const line = c.input.subarray(0, nl).toString("utf8");
      c.input = c.input.subarray(nl + 1);
      if (c.refused) {
        this.write(s, errorLine(msg.tooManyConnections(this.opts.maxConnections)));
        return this.endWhenFlushed(s);
      }
      const req = parseRequest(line);
      if (req.kind === "exit") {
        if (c.authorized) this.opts.log.event("debug", "Console exiting"); // a stranger's goodbye is not worth a record, even at DEBUG
        return this.endWhenFlushed(s);
      }
      const reply = this.answer(s, req);
      if (reply.closes) {
        this.write(s, formatReply(reply));
        return this.endWhenFlushed(s);
      }
      this.requests++;
      if (reply.later) return this.awaitReply(s, reply.later);
      if (reply.follow && reply.error === undefined) return this.follow(s, reply.body, reply.follow, reply.followHigh ?? FOLLOW_HIGH);
      this.write(s, formatReply(reply));
    }
    if (c.outBytes >= OUT_HIGH && !c.stuck) {
      s.pause();
      const t = setTimeout(() => {
        this.opts.log.event("warn", `disconnecting console client ${c.peer}: it has not read its replies for ${STUCK_MS / 1000}s`);
        s.terminate();
      }, STUCK_MS);
      c.stuck = () => clearTimeout(t);
    }
  }

  /** Authentication first, then the controller. */
  private answer(s: Socket<Conn>, req: Request): Reply & { closes?: boolean } {
    const c = s.data;
    if (req.kind === "auth") {
      if (this.opts.token === undefined) return { body: [] };
      const right = tokenMatches(this.opts.token, req.token);
      if (c.authorized) return right ? { body: [] } : { body: [], error: msg.notAuthorized() };
      if (right) {
        this.gate!.authenticated(s);
        if (this.operators > this.opts.maxConnections) {
          this.opts.log.event("warn", `refused console connection from ${c.peer}: too many connections`);
          return { body: [], error: msg.tooManyConnections(this.opts.maxConnections), closes: true };
        }
        c.authorized = true;
        this.opts.log.event("debug", `new connection to admin from ${c.peer}`);
        return { body: [] };
      }
      return { body: [], error: msg.notAuthorized(), closes: this.gate!.failed(s) };
    }
    if (!c.authorized) return { body: [], error: msg.notAuthorized() };
    return this.opts.execute(req, { readonly: this.opts.readonly, mayDefer: true });
  }

  /** Write a reply once it is ready, then go on with the connection's next request. */
  private awaitReply(s: Socket<Conn>, later: Promise<Reply>): void {
    const c = s.data;
    c.waiting = true;
    later
      .catch((e: unknown): Reply => {
        // A bug must cost one request, never the daemon.
        this.opts.log.event("error", `internal error: ${(e as Error)?.stack ?? String(e)}`);
        return { body: [], error: `internal error: ${(e as Error)?.message ?? String(e)}` };
      })
      .then((reply) => {
        c.waiting = false;
        this.write(s, formatReply(reply));
        this.pump(s);
      });
  }

  /** Send the body, then stream until the client goes away. */
  private follow(s: Socket<Conn>, body: string[], follow: Follow, high: number): void {
    const c = s.data;
    c.input = Buffer.alloc(0);
    this.write(s, formatBody(body));
    let ended = false;
    const stop = follow({
      get congested() {
        return c.closed || c.closing || c.outBytes >= high;
      },
      send: (lines) => this.write(s, formatBody(lines)),
      end: (error) => {
        if (ended) return;
        ended = true;
        this.write(s, formatReply({ body: [], error }));
        if (c.stopFollow === null) return; // ended while follow() ran
        c.stopFollow = null;
        this.pump(s);
      },
    });
    if (!ended) c.stopFollow = stop;
  }

  private tooLong(s: Socket<Conn>): void {
    s.data.input = Buffer.alloc(0);
    this.write(s, errorLine(msg.lineTooLong()));
    this.endWhenFlushed(s);
  }

  private write(s: Socket<Conn>, text: string): void {
    const c = s.data;
    if (c.closed) return;
    const buf = Buffer.from(text);
    if (c.outBytes === 0) {
      const n = s.write(buf);
      if (n >= buf.length) return;
      const rest = buf.subarray(Math.max(n, 0));
      c.out.push(rest);
      c.outBytes += rest.length;
    } else {
      c.out.push(buf);
      c.outBytes += buf.length;
    }
  }

  private flush(s: Socket<Conn>): void {
    const c = s.data;
    while (c.out.length > 0) {
      const head = c.out[0]!;
      const n = s.write(head);
      if (n < head.length) {
        c.out[0] = head.subarray(Math.max(n, 0));
        c.outBytes -= Math.max(n, 0);
        return;
      }
      c.out.shift();
      c.outBytes -= head.length;
    }
    if (c.closing) s.end();
  }

  private endWhenFlushed(s: Socket<Conn>): void {
    const c = s.data;
    c.closing = true;
    c.stopFollow?.();
    if (c.outBytes === 0) s.end();
  }
}

function peerOf(s: Socket<Conn>, a: Address): string {
  if (a.kind === "unix") return `unix/:${a.path}`;
  return `${s.remoteAddress}:${(s as unknown as { remotePort?: number }).remotePort ?? "?"}`;
}

