/**
 * The HTTP face (`cfkd --http ADDR`): probes, Prometheus metrics, a live
 * status page, JSON status — read-only, served by the daemon itself. The one
 * module that calls Bun.serve.
 *
 * Limits and races handled here:
 * - headers over Bun's limit (16 KiB) are refused by Bun with 431; bodies
 *   over MAX_BODY with 413 (nothing here reads one);
 * - on TCP, a client that sends nothing (or its headers too slowly) is
 *   closed after IDLE_SECS; event streams are exempt (they are written to,
 *   not read). Bun has no idle timeout for unix sockets: only the owner of
 *   the socket file can connect there;
 * - an event-stream client that does not read costs bounded memory and
 *   never delays anyone (sse.ts);
 * - every answer is computed synchronously from the daemon's state: a
 *   scrape or a page cannot block the daemon for longer than it takes to
 *   render (and /proc is read only when /metrics or a page asks).
 */
import type { Server } from "bun";
import { chmodSync } from "node:fs";
import { listenAt } from "../os/unixpath.ts";
import { unlinkQuietly } from "../os/files.ts";
import type { Address } from "../../protocol/address.ts";
import { Guard } from "./guard.ts";
import { readiness, selectRows } from "./ready.ts";
import { renderMetrics, CONTENT_TYPE, type ServiceMetrics } from "./metrics.ts";
import { EventHub } from "./events.ts";
import { rowUsage, statusRecords, type HttpWorld } from "./facts.ts";
import { PAGE, PAGE_CSP } from "./page.ts";
import { ownDescriptors } from "../os/procfs.ts";
import type { DaemonLog } from "../logging/types.ts";
import { DEFAULT_ADMISSION, RateLimitedLog } from "../admission.ts";

export type HttpOptions = {
  address: Address;
  /** with a TCP address, every request must carry it (except probes with openProbes) */
  token?: string;
  /** --http-open-probes: /live and /ready need no token */
  openProbes: boolean;
  log: DaemonLog;
};

const IDLE_SECS = 10;
const MAX_BODY = 1024;

const COMMON = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
const JSON_TYPE = "application/json; charset=utf-8";

type Route = (req: Request, url: URL, srv: Server<undefined>) => Response;

export class HttpFace {
  private server: Server<undefined> | null = null;
  private readonly guard: Guard;
  private readonly hub: EventHub;
  private readonly codes = new Map<number, number>();
  /** refused tokens: the first logged at once, then a count per interval (issue 12's rule) */
  private readonly strangers: RateLimitedLog;
  private answeredListeners = new Set<() => void>();
  private readonly routes: Record<string, Route>;

  constructor(
    private readonly world: HttpWorld,
    private readonly o: HttpOptions,
  ) {
    this.guard = new Guard(o, () => this.port ?? 0);
    this.hub = new EventHub(world);
    this.strangers = new RateLimitedLog(o.log, DEFAULT_ADMISSION.logIntervalMs);
    this.routes = {
      "/": () => new Response(PAGE, { headers: { ...COMMON, "content-type": "text/html; charset=utf-8", "content-security-policy": PAGE_CSP, "x-frame-options": "DENY", "referrer-policy": "no-referrer" } }),
      "/live": () => new Response("ok\n", { headers: { ...COMMON, "content-type": "text/plain; charset=utf-8" } }),
      "/ready": (_req, url) => {
        const a = readiness(this.hub.rows(), url.searchParams.getAll("svc"));
        if (a.kind === "unknown") return json({ error: a.message }, 404);
        return json({ ready: a.ready, services: a.services }, a.ready ? 200 : 503);
      },
      "/metrics": () => new Response(this.metrics(), { headers: { ...COMMON, "content-type": CONTENT_TYPE } }),
      "/api/status": (_req, url) => {
        const refs = url.searchParams.getAll("svc");
        const sel = selectRows(this.hub.rows(), refs);
        if (typeof sel === "string") return json({ error: sel }, 404);
        const names = new Set(sel.map((r) => r.name));
        return new Response(JSON.stringify(statusRecords(world).filter((r) => names.has(r.name)), null, 2), { headers: { ...COMMON, "content-type": JSON_TYPE } });
      },
      "/events": (req, _url, srv) => {
        srv.timeout(req, 0);
        return eventStream(this.hub.open());
      },
      "/events/tail": (req, url, srv) => {
        const body = this.hub.openTail(url.searchParams.get("svc") ?? "");
        if (body === null) return json({ error: "unknown service" }, 404);
        srv.timeout(req, 0);
        return eventStream(body);
      },
    };
  }

  /**
   * Start listening, replacing a stale unix socket but never one that
   * answers, nor a file that is no socket; throws a StartError that says why not.
   */
  listen(): void {
    listenAt(this.o.address, () => this.bind());
  }

  /** Unix socket file the face made, removed at shutdown. */
  removeSocketFile(): void {
    if (this.o.address.kind === "unix") unlinkQuietly(this.o.address.path);
  }

  private bind(): void {
    const a = this.o.address;
    const common = {
      maxRequestBodySize: MAX_BODY,
      development: false,
      fetch: (req: Request, srv: Server<undefined>) => this.answer(req, srv),
      error: (e: Error) => {
        this.o.log.event("error", `HTTP internal error: ${e?.stack ?? e}`);
        return new Response("internal error\n", { status: 500, headers: COMMON });
      },
    };
    if (a.kind === "unix") {
      const old = process.umask(0o177); // born 0600, like the console
      try {
        this.server = Bun.serve({ ...common, unix: a.path });
      } finally {
        process.umask(old);
      }
      chmodSync(a.path, 0o600);
    } else {
      this.server = Bun.serve({ ...common, hostname: a.host, port: a.port, idleTimeout: IDLE_SECS });
    }
  }

  /** The TCP port (the real one when asked for port 0). */
  get port(): number | null {
    return this.o.address.kind === "tcp" ? (this.server?.port ?? null) : null;
  }

  get address(): Address {
    return this.o.address;
  }

  /** Stop listening and end every event stream. */
  close(): void {
    this.hub.closeAll();
    this.strangers.close();
    void this.server?.stop(true);
    this.server = null;
  }

  /** Call `fn` after each request is answered (cfkd trims code pages after bursts of work); returns the off switch. */
  onAnswered(fn: () => void): () => void {
    this.answeredListeners.add(fn);
    return () => this.answeredListeners.delete(fn);
  }

  private answer(req: Request, srv: Server<undefined>): Response {
    const res = this.route(req, srv);
    this.codes.set(res.status, (this.codes.get(res.status) ?? 0) + 1);
    for (const l of this.answeredListeners) l();
    return res;
  }

  private route(req: Request, srv: Server<undefined>): Response {
    // without a Host (HTTP/1.0) Bun gives the bare path: parse it against a dummy origin
    const url = new URL(req.url, "http://cfkd.invalid");
    const refusal = this.guard.check(req.method, url.pathname, req.headers);
    if (refusal !== null) {
      if (refusal === 401) this.noteFailedAuth(srv.requestIP(req)?.address ?? "unix");
      return bare(refusal);
    }
    const route = Object.hasOwn(this.routes, url.pathname) ? this.routes[url.pathname] : undefined;
    if (!route) return bare(404);
    if (req.method !== "GET" && req.method !== "HEAD") return new Response(null, { status: 405, headers: { ...COMMON, allow: "GET, HEAD" } });
    // HEAD of a stream: its headers, without opening it
    if (req.method === "HEAD" && url.pathname.startsWith("/events")) return eventStream(null);
    return route(req, url, srv);
  }

  private noteFailedAuth(peer: string): void {
    this.strangers.note("failed", "warn", `HTTP request without a valid token from ${peer}`, (n, secs) => `${n} more HTTP requests without a valid token in the last ${secs}s`);
  }

  private metrics(): string {
    const rows = this.hub.rows();
    const usage = rowUsage(rows);
    const list: ServiceMetrics[] = rows.map((row) => ({
      row,
      usage: usage(row),
      captured: this.world.tail.captured(row.name),
    }));
    const cpu = process.cpuUsage();
    const fds = ownDescriptors();
    return renderMetrics(list, {
      version: this.world.version,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      rssBytes: process.memoryUsage.rss(),
      openFds: fds?.open ?? null,
      maxFds: fds?.max ?? null,
      startTimeSeconds: Math.round(performance.timeOrigin) / 1000,
      consoleConnections: this.world.consoleConnections(),
      consoleRequests: this.world.consoleRequests(),
      httpRequests: this.codes,
      eventStreams: this.hub.size,
    });
  }
}

/** A status with no body detail (401, 404, 421, 403); a 401 invites a browser to ask for the token. */
function bare(status: number): Response {
  const headers = status === 401 ? { ...COMMON, "www-authenticate": 'Basic realm="cfkd", charset="UTF-8"' } : COMMON;
  return new Response(null, { status, headers });
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value) + "\n", { status, headers: { ...COMMON, "content-type": JSON_TYPE } });
}

function eventStream(body: ReadableStream<Uint8Array> | null): Response {
  return new Response(body, { headers: { ...COMMON, "content-type": "text/event-stream; charset=utf-8", "x-accel-buffering": "no" } });
}
