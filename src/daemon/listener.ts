/**
 * A console's listening socket, which can stop accepting without closing.
 *
 * Why: out of descriptors, accept(2) fails with EMFILE while the socket
 * stays readable, and Bun's accept loop retries it forever (a core at 100 %
 * and the waiting clients never answered). So the socket is ours (an fd
 * kept by this module) and Bun only ever gets a duplicate of it: to stop
 * accepting we stop Bun's listener (closing the duplicate; the socket, its
 * address and its backlog stay), and to resume we hand Bun a new duplicate.
 *
 * When to stop: after each accepted connection (and whenever the daemon
 * learns it ran out, e.g. a spawn failed with EMFILE) the module checks
 * that one more descriptor can be had; if not, it stops accepting, logs it
 * once with the limit, and retries on a backoff timer (100 ms doubling to
 * 2 s) or as soon as a connection closes. Clients wait in the backlog
 * meanwhile and are answered when descriptors come back.
 *
 * A unix socket is bound through libc (Bun's listener would unlink the path
 * when it stops); a TCP one by Bun, whose descriptor is then duplicated.
 */
import type { SocketHandler, SocketListener } from "bun";
import { chmodSync } from "node:fs";
import type { Address } from "../protocol/address.ts";
import type { RateLimitedLog } from "./admission.ts";
import * as libc from "./os/libc.ts";

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2000;

export class Listener<D> {
  private bun: SocketListener<D> | null = null;
  private retryMs = FIRST_RETRY_MS;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  private constructor(
    /** our own descriptor of the listening socket (close-on-exec) */
    private readonly fd: number,
    readonly port: number | null,
    private readonly handlers: SocketHandler<D>,
    private readonly logs: RateLimitedLog,
    private readonly what: string,
  ) {}

  /** Bind and listen; throws an Error with the OS reason. */
  static open<D>(address: Address & { kind: "unix" | "tcp" }, handlers: SocketHandler<D>, logs: RateLimitedLog, what: string): Listener<D> {
    let fd: number;
    let port: number | null = null;
    if (address.kind === "unix") {
      // The socket is born 0600: nobody else may talk to the daemon.
      const old = process.umask(0o177);
      let r: number | libc.Failure;
      try {
        r = libc.listenUnix(address.path, 0x7fffffff);
      } finally {
        process.umask(old);
      }
      if (libc.isFailure(r)) throw new Error(r.message);
      chmodSync(address.path, 0o600);
      fd = r;
    } else {
      const l = Bun.listen<D>({ hostname: address.host, port: address.port, socket: handlers });
      port = l.port;
      const bunFd = (l as unknown as { fd: number }).fd;
      // Bun listens with a backlog of 512: a burst of clients while the daemon
      // is busy would be refused. Ask for the system's maximum (clamped to somaxconn).
      libc.listen(bunFd, 0x7fffffff);
      const mine = libc.dupCloexec(bunFd);
      l.stop(false);
      if (libc.isFailure(mine)) throw new Error(mine.message);
      fd = mine;
    }
    const listener = new Listener(fd, port, handlers, logs, what);
    listener.start();
    return listener;
  }

  get accepting(): boolean {
    return this.bun !== null;
  }

  /**
   * Call after each accepted connection, and whenever the daemon ran out of
   * descriptors: stops accepting while none is free.
   */
  check(): void {
    if (this.closed || this.bun === null || libc.fdAvailable(this.fd)) return;
    this.bun.stop(false);
    this.bun = null;
    const lim = libc.getFdLimit();
    const limit = libc.isFailure(lim) ? "unknown" : String(lim.soft);
    this.logs.note(
      "fds",
      "error",
      `out of file descriptors (limit ${limit} open files): stopped accepting ${this.what} connections; retrying as descriptors are freed`,
      (n, s) => `out of file descriptors ${n} more times in the last ${s}s (limit ${limit}): ${this.what} connections wait meanwhile`,
    );
    this.retryMs = FIRST_RETRY_MS;
    this.arm();
  }

  /** A descriptor was freed (a connection closed): accept again if paused. */
  freed(): void {
    if (this.closed || this.bun !== null) return;
    this.tryResume();
  }

  /** Stop accepting for good; the connections stay (the caller ends them). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.bun?.stop(false);
    this.bun = null;
    libc.close(this.fd);
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      this.tryResume();
    }, this.retryMs);
  }

  private tryResume(): void {
    // Bun's listener takes a descriptor (the duplicate) and the next accept
    // another: resume only when one is still free with the listener running
    // (stopping it freed one, which alone would make this spin).
    if (!this.start()) return this.arm();
    if (!libc.fdAvailable(this.fd)) {
      this.bun!.stop(false);
      this.bun = null;
      return this.arm();
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private start(): boolean {
    const dup = libc.dupCloexec(this.fd);
    if (libc.isFailure(dup)) return false;
    try {
      this.bun = Bun.listen<D>({ fd: dup, socket: this.handlers } as unknown as Parameters<typeof Bun.listen<D>>[0]);
      return true;
    } catch {
      libc.close(dup);
      return false;
    }
  }
}
