/**
 * What each cfkctl command does on the wire (SPEC §9), one handler per
 * command of grammar.ts (the compiler checks that none is missing). A
 * handler returns the exit code or throws a CliError; it prints through Io.
 */
import { resolvePath } from "../protocol/paths.ts";
import { descFromWire, infoFromWire, proxyStatusFromWire, statusFromWire, type DescRecord, type InfoRecord, type StatusRecord } from "../protocol/status.ts";
import type { Connection } from "./connection.ts";
import { CliError, EXIT, daemonError, say, usageError } from "./errors.ts";
import type { CommandName, Invocation } from "./grammar.ts";
import type { Io } from "./io.ts";
import { statements } from "./load.ts";
import { descText, json, needsClock, pidsText, proxyText, statusLong, statusText, uniqueByName } from "./render.ts";
import { selectors } from "./svcref.ts";
import { rollFromWire } from "../protocol/rolls.ts";
import { tail } from "./tail.ts";
import { events } from "./events.ts";

export type Context = {
  io: Io;
  /** open a connection to the daemon (throws the exit-3 CliError) */
  connect(): Promise<Connection>;
};

type Handler = (inv: Invocation, ctx: Context) => Promise<number>;

/** Run one request per selector; errors are reported and remembered, the rest goes on. */
async function perSelector(conn: Connection, io: Io, command: string, refs: string[]): Promise<{ body: string[]; failed: boolean }> {
  const body: string[] = [];
  let failed = false;
  for (const sel of selectors(refs)) {
    const r = await conn.request(`command ${command} ${sel}`);
    if (r.error !== undefined) {
      io.err(say.selectorError(sel, r.error));
      failed = true;
    } else body.push(...r.body);
  }
  return { body, failed };
}

/** A promise started early whose rejection must not go unhandled before it is awaited. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/** Open, run `fn`, say goodbye. */
async function withConnection<T>(ctx: Context, fn: (c: Connection) => Promise<T>): Promise<T> {
  const conn = await ctx.connect();
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

/**
 * Status records. When `retries` and a service is in backoff or fatal, the
 * [ext] `info` too, on the same connection, for when cfkd tries it again
 * (`retry in 2.4 s`); a daemon without `info` (ControlFreak 1.0) gives none.
 * Otherwise only what the original client sent.
 */
async function statuses(inv: Invocation, ctx: Context, retries = false): Promise<{ list: StatusRecord[]; failed: boolean; infos?: Map<string, InfoRecord> }> {
  return withConnection(ctx, async (c) => {
    const { body, failed } = await perSelector(c, ctx.io, "status", inv.args);
    const list = uniqueByName(body.map(statusFromWire));
    const retrying = new Set(list.filter((s) => s.state === "backoff" || s.state === "fatal").map((s) => s.name));
    if (!retries || retrying.size === 0) return { list, failed };
    const infos = new Map<string, InfoRecord>();
    for (const sel of selectors(inv.args)) {
      const r = await c.request(`command info ${sel}`);
      for (const l of r.error === undefined ? r.body : []) {
        const info = infoFromWire(l);
        if (info !== null && retrying.has(info.name)) infos.set(info.name, info);
      }
    }
    return { list, failed, infos };
  });
}

/**
 * `status -l`: `status` and the [ext] `info -l` for each selector, pipelined on one
 * connection. The original cfkd answers `unknown command 'info'`: then there
 * is simply no info (restarts, uptime), never an error.
 */
async function statusesWithInfo(inv: Invocation, ctx: Context): Promise<{ list: StatusRecord[]; infos: Map<string, InfoRecord>; failed: boolean }> {
  return withConnection(ctx, async (c) => {
    const body: string[] = [];
    const infos = new Map<string, InfoRecord>();
    let failed = false;
    for (const sel of selectors(inv.args)) {
      const [st, info] = await Promise.all([c.request(`command status ${sel}`), c.request(`command info -l ${sel}`)]);
      if (st.error !== undefined) {
        ctx.io.err(say.daemonError(st.error));
        failed = true;
        continue;
      }
      body.push(...st.body);
      if (info.error !== undefined) continue;
      for (const l of info.body) {
        const r = infoFromWire(l);
        if (r !== null) infos.set(r.name, r);
      }
    }
    return { list: uniqueByName(body.map(statusFromWire)), infos, failed };
  });
}

/** One request, no selectors: print the body as lines (or its JSON). */
async function simple(line: string, inv: Invocation, ctx: Context, asJson?: (body: string[]) => unknown): Promise<number> {
  const r = await withConnection(ctx, (c) => c.request(line));
  if (r.error !== undefined) throw daemonError(r.error);
  if (inv.json && asJson) ctx.io.out(json(asJson(r.body)));
  else if (r.body.length > 0) ctx.io.out(r.body.join("\n"));
  return EXIT.ok;
}

/** start/stop/…: quiet on success; per-service refusals in an OK reply are shown but are not failures. */
function action(verb: string): Handler {
  if (verb === "start" || verb === "restart" || verb === "up") return startAction(verb);
  return async (inv, ctx) => {
    const command = inv.withDependents ? `${verb} --with-dependents` : verb;
    const { body, failed } = await withConnection(ctx, (c) => perSelector(c, ctx.io, command, inv.args));
    for (const l of body) if (l.startsWith("error: ")) ctx.io.err(l);
    return failed ? EXIT.daemon : EXIT.ok;
  };
}

const FAILED_STATES = new Set(["fail", "fatal", "backoff"]);

/**
 * start/restart/up, and then: did it start? The wire answers `done N` as the
 * original does, even when the program could not be spawned (a missing
 * program, a bad cwd): cfkd tries it at once and records why it failed. So
 * a `status` of the same selector follows on the same connection, answered
 * right after the command: a selected service that the command did not
 * refuse (refusals name it) was started, so if it is now fail, fatal or
 * backoff its start failed: `error: cannot start NAME: REASON`, exit 1. No
 * clock is compared (cfkd may be on another machine). A restart of a
 * running service starts it only once it has stopped; that later start is
 * not waited for.
 */
function startAction(verb: string): Handler {
  return async (inv, ctx) => {
    let failed = false;
    const body: string[] = [];
    const after: StatusRecord[] = [];
    await withConnection(ctx, async (c) => {
      for (const sel of selectors(inv.args)) {
        const [r, st] = await Promise.all([c.request(`command ${verb} ${sel}`), c.request(`command status ${sel}`)]);
        if (r.error !== undefined) {
          ctx.io.err(say.selectorError(sel, r.error));
          failed = true;
          continue;
        }
        body.push(...r.body);
        if (st.error === undefined) after.push(...st.body.map(statusFromWire));
      }
    });
    const refusals = body.filter((l) => l.startsWith("error: "));
    for (const l of refusals) ctx.io.err(l);
    for (const s of uniqueByName(after)) {
      if (!FAILED_STATES.has(s.state) || s.fail_reason === "") continue;
      if (refusals.some((l) => l.includes(`'${s.name}'`))) continue;
      ctx.io.err(say.cannotStart(s.name, s.fail_reason));
      failed = true;
    }
    if (failed || !inv.wait) return failed ? EXIT.daemon : EXIT.ok;
    // --wait: the daemon answers once all are running, or one fails (docs/readiness.md)
    return withConnection(ctx, (c) => waitFor(c, ctx, inv, "--state running --fail-on-backoff"));
  };
}


/** One `command wait` for every reference; its error is the failure, printed. */
async function waitFor(c: Connection, ctx: Context, inv: Invocation, opts: string): Promise<number> {
  // --timeout is the wait's own limit, kept by cfkd (which then answers); none or 0: as long as it takes
  const timeout = inv.timeout === undefined || inv.timeout === 0 ? "" : ` --timeout ${inv.timeout}`;
  const r = await c.stream(`command wait ${opts}${timeout} ${selectors(inv.args).join(" ")}`, () => {}, false);
  if (r.error === undefined) return EXIT.ok;
  ctx.io.err(say.daemonError(r.error));
  return EXIT.daemon;
}

/**
 * `restart --rolling` and `reload`: one request; cfkd runs the roll and
 * streams its progress, printed as it comes, then OK or the reason it
 * stopped (exit 1). Ctrl-C leaves the roll running in cfkd. --timeout is
 * how long a replacement may take to be running (the roll's own limit,
 * kept by cfkd; default 60 s); the stream itself is not timed.
 */
function roll(inv: Invocation, ctx: Context): Promise<number> {
  const timeout = inv.timeout === undefined || inv.timeout === 0 ? false : `timeout=${inv.timeout}`;
  const opts = [inv.batch !== undefined && `batch=${inv.batch}`, inv.pause !== undefined && `pause=${inv.pause}`, timeout].filter((o) => o !== false);
  const line = `command ${inv.command === "restart" ? "restart_rolling" : "reload"} ${[...opts, ...selectors(inv.args)].join(" ")}`;
  return withConnection(ctx, async (c) => {
    let interrupted = false;
    const off = ctx.io.onInterrupt(() => {
      interrupted = true;
      c.abort();
    });
    try {
      const r = await c.stream(line, (l) => ctx.io.out(l), false);
      if (r.error === undefined) return EXIT.ok;
      ctx.io.err(say.daemonError(r.error));
      return EXIT.daemon;
    } catch (e) {
      if (!interrupted) throw e;
      ctx.io.err(say.rollGoesOn());
      return EXIT.daemon;
    } finally {
      off();
    }
  });
}

function proxyAction(verb: string): Handler {
  return async (inv, ctx) => {
    const r = await withConnection(ctx, (c) => c.request(`command ${verb} ${inv.args[0]}`));
    if (r.error !== undefined) throw daemonError(r.error);
    return EXIT.ok;
  };
}

const handlers: Record<CommandName, Handler> = {
  status: async (inv, ctx) => {
    // Look up the zone and the terminal while the daemon answers (~1.5 ms saved).
    const zone = inv.json ? null : quiet(ctx.io.utcOffset());
    const colour = inv.json ? null : quiet(ctx.io.colour());
    // The plain form sends what the original client sent, one request per
    // svcref (the reason is in the status line); -l asks for the [ext] info too.
    const { list, infos, failed } = inv.long ? await statusesWithInfo(inv, ctx) : await statuses(inv, ctx, !inv.json);
    // --json keeps the eight wire fields; --json -l adds the info record's
    if (inv.json) ctx.io.out(json(inv.long && infos ? list.map((s) => ({ ...s, ...infos.get(s.name) })) : list));
    else if (list.length > 0) {
      const clock = { nowMs: ctx.io.now(), offset: needsClock(list) ? await zone! : () => 0 };
      const c = await colour!;
      ctx.io.out(inv.long && infos ? list.map((s) => statusLong(s, infos.get(s.name) ?? null, clock, c)).join("\n") : statusText(list, clock, c, infos));
    }
    return failed ? EXIT.daemon : EXIT.ok;
  },
  pids: async (inv, ctx) => {
    const { list, failed } = await statuses(inv, ctx);
    if (inv.json) ctx.io.out(json(list.map((s) => ({ name: s.name, pid: s.pid }))));
    else if (list.length > 0) ctx.io.out(pidsText(list));
    return failed ? EXIT.daemon : EXIT.ok;
  },
  pid: async (inv, ctx) => {
    const name = inv.args[0]!;
    selectors([name]); // rejects what cannot be a name on the wire
    const r = await withConnection(ctx, (c) => c.request(`command status service ${name}`));
    if (r.error !== undefined) throw daemonError(r.error);
    const pid = r.body.length > 0 ? statusFromWire(r.body[0]!).pid : null;
    if (pid === null) return EXIT.daemon;
    ctx.io.out(String(pid));
    return EXIT.ok;
  },
  desc: async (inv, ctx) => {
    const { body, failed } = await withConnection(ctx, (c) => perSelector(c, ctx.io, "desc", inv.args));
    const list: DescRecord[] = uniqueByName(body.map(descFromWire));
    if (inv.json) ctx.io.out(json(list));
    else if (list.length > 0) ctx.io.out(descText(list));
    return failed ? EXIT.daemon : EXIT.ok;
  },
  list: (inv, ctx) => simple("command list", inv, ctx, (body) => body),
  version: (inv, ctx) => simple("command version", inv, ctx),
  proxystatus: async (inv, ctx) => {
    const r = await withConnection(ctx, (c) => c.request("command proxystatus"));
    if (r.error !== undefined) throw daemonError(r.error);
    const list = uniqueByName(r.body.map(proxyStatusFromWire));
    if (inv.json) ctx.io.out(json(list));
    else if (list.length > 0) ctx.io.out(proxyText(list, await ctx.io.colour()));
    return EXIT.ok;
  },
  proxyup: proxyAction("proxyup"),
  proxydown: proxyAction("proxydown"),
  start: action("start"),
  stop: action("stop"),
  restart: (inv, ctx) => {
    if (inv.rolling) return roll(inv, ctx);
    if (inv.batch !== undefined || inv.pause !== undefined) throw usageError("--batch and --pause go with restart --rolling");
    return action("restart")(inv, ctx);
  },
  reload: roll,
  rolls: (inv, ctx) => simple("command rolls", inv, ctx, (body) => body.map(rollFromWire)),
  "roll-cancel": async (inv, ctx) => {
    const r = await withConnection(ctx, (c) => c.request(`command roll_cancel ${inv.args[0]}`));
    if (r.error !== undefined) throw daemonError(r.error);
    if (r.body.length > 0) ctx.io.out(r.body.join("\n"));
    return EXIT.ok;
  },
  up: action("up"),
  down: action("down"),
  destroy: action("destroy"),
  ready: action("ready"),
  wait: (inv, ctx) => withConnection(ctx, (c) => waitFor(c, ctx, inv, `--state ${inv.state ?? "running"}`)),
  shutdown: async (_inv, ctx) => {
    const conn = await ctx.connect();
    const r = await conn.request("command shutdown");
    if (r.error !== undefined) {
      conn.close();
      throw daemonError(r.error);
    }
    // cfkd closes every connection once it has stopped everything and removed
    // its socket and lock: returning then lets `cfkctl shutdown && cfkd -d` work.
    await conn.whenClosed();
    return EXIT.ok;
  },
  load: async (inv, ctx) => {
    const file = inv.args[0]!;
    const name = file === "-" ? "stdin" : file;
    let text: string;
    try {
      text = file === "-" ? await ctx.io.readStdin() : await ctx.io.readFile(resolvePath(ctx.io.cwd, file));
    } catch (e) {
      throw new CliError("usage", say.cannotRead(name, (e as Error).message));
    }
    const base = resolvePath(ctx.io.cwd, inv.basedir ?? ".");
    const list = statements(text, base);
    if (list.length === 0) return EXIT.ok;
    return withConnection(ctx, async (c) => {
      for (const st of list) {
        const r = await c.request(st.text);
        if (r.error !== undefined) {
          // the property table is loaded only to explain a refusal (start-up stays lean)
          const { explainStatement } = await import("../protocol/properties.ts");
          throw new CliError("daemon", say.loadError(name, st.line, explainStatement(st.text, r.error)));
        }
        for (const l of r.body) if (l.startsWith("error: ")) ctx.io.err(say.loadError(name, st.line, l.slice(7)));
      }
      return EXIT.ok;
    });
  },
  tail: (inv, ctx) => tail(inv, ctx),
  events: (inv, ctx) => events(inv, ctx),
  save: async (inv, ctx) => {
    const r = await withConnection(ctx, (c) => c.request("command dump"));
    if (r.error !== undefined) throw daemonError(r.error);
    const file = inv.args[0];
    const text = r.body.map((l) => `${l}\n`).join("");
    if (file === undefined || file === "-") {
      if (text !== "") ctx.io.out(text.slice(0, -1));
      return EXIT.ok;
    }
    try {
      await ctx.io.writeFile(resolvePath(ctx.io.cwd, file), `# written by cfkctl save: load with cfkd -c FILE or cfkctl load FILE\n${text}`);
    } catch (e) {
      throw new CliError("usage", say.cannotWrite(file, (e as Error).message));
    }
    return EXIT.ok;
  },
};

/** Run a parsed command line. */
export function execute(inv: Invocation, ctx: Context): Promise<number> {
  return handlers[inv.command](inv, ctx);
}
