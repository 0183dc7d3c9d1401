/**
 * The statement dispatcher: runs one parsed request against the registry
 * (registry.ts) and returns the reply as a value; it does no I/O of its own
 * (processes, timers and logs go through the world it is given).
 */
import type { Request } from "../protocol/request.ts";
import type { Reply } from "../protocol/framing.ts";
import { msg } from "../protocol/messages.ts";
import { descToWire, infoToWire, proxyStatusToWire } from "../protocol/status.ts";
import { setProp } from "./service/props.ts";
import type { Service } from "./service/service.ts";
import type { Proxy } from "./proxy/proxy.ts";
import { defaultProxyProps, setProxyProp } from "./proxy/props.ts";
import type { Sockets } from "./sockets.ts";
import { tailCommand } from "./tailCommand.ts";
import type { Changes } from "./changes.ts";
import { EventLog } from "./events.ts";
import { eventsCommand } from "./eventsCommand.ts";
import { setResultMessage } from "./props-table.ts";
import { Registry, type RegistryWorld } from "./registry.ts";
import { dumpStatements } from "./dump.ts";
import { inSlices } from "./slices.ts";
import { propsConflict } from "./service/props.ts";
import { waitCommand } from "./waits.ts";
import { Rolls } from "./deploy/rolls.ts";

export type ControllerWorld = RegistryWorld & {
  version: string;
  /** called once by `command shutdown`, after the reply is queued */
  requestShutdown(): void;
};
/**
 * Per-connection facts the controller needs: a read-only console (SPEC §10);
 * `mayDefer`: the caller can wait for a reply (`Reply.later`), so an action
 * over many services runs in slices and does not hold the event loop.
 */
export type Session = { readonly readonly: boolean; readonly mayDefer?: boolean };

/** What a read-only console may run: the original's unprivileged commands. */
const READ_ONLY_COMMANDS = new Set(["status", "desc", "list", "pids", "version", "proxystatus", "tail", "sockets", "info", "events", "wait", "rolls"]);

export function allowedReadOnly(req: Request): boolean {
  return req.kind === "exit" || req.kind === "invalid" || (req.kind === "command" && READ_ONLY_COMMANDS.has(req.name));
}

type Handler = (args: string[], session: Session) => Reply;

const ok = (body: string[] = []): Reply => ({ body });
const fail = (error: string): Reply => ({ body: [], error });
/** OK, or the error a registry call returned. */
const done = (error: string | null): Reply => (error === null ? ok() : fail(error));

export class Controller {
  /** services, proxies, sockets, waits and shutdown */
  readonly registry: Registry;
  /** the recent changes and their followers (`command events`) */
  readonly events: EventLog;
  /** rolling restarts and reloads under way (deploy/) */
  private readonly rolls: Rolls;

  constructor(private readonly world: ControllerWorld) {
    this.registry = new Registry(world);
    this.events = new EventLog(this.registry.changes);
    this.rolls = new Rolls({
      select: (args) => this.select(args, false),
      get: (name) => this.registry.service(name),
      changes: this.registry.changes,
      clock: world.clock,
      log: (level, message) => world.log.event(level, message),
      shuttingDown: () => this.registry.shuttingDown,
    });
  }

  /** every service state change, for whoever listens (changes.ts) */
  get changes(): Changes {
    return this.registry.changes;
  }
  get sockets(): Sockets {
    return this.registry.sockets;
  }
  get shuttingDown(): boolean {
    return this.registry.shuttingDown;
  }
  /** Services sorted by name. */
  list(): readonly Service[] {
    return this.registry.list();
  }
  /** Resolves once every service and every proxy is down. */
  allDown(): Promise<void> {
    return this.registry.allDown();
  }
  /** Bring every service down, then every proxy. */
  stopAll(): void {
    this.registry.stopAll();
  }

  /**
   * Run one request (anything but `exit`, which the console handles).
   *
   * While an action runs in slices (see `action`), a request that changes
   * anything waits its turn behind it, in arrival order, as if the action had
   * run in one go; read-only requests are answered at once, with the state
   * as it is (some services started, some not yet).
   */
  execute(req: Request, session: Session = { readonly: false }): Reply {
    if (session.readonly && !allowedReadOnly(req)) return fail(msg.notAuthorized());
    if (this.chain !== null && session.mayDefer && !allowedReadOnly(req)) {
      return this.serialize(async () => settle(this.run(req, session)));
    }
    const r = this.run(req, session);
    return r.later ? this.serialize(() => r.later!) : r;
  }

  /** the tail of the deferred requests, while any is pending */
  private chain: Promise<void> | null = null;

  /** A reply that comes once `make` has run, after every request deferred before it. */
  private serialize(make: () => Promise<Reply>): Reply {
    const p = (this.chain ?? Promise.resolve()).then(make);
    const mine: Promise<void> = p.then(
      () => {},
      () => {},
    );
    this.chain = mine;
    void mine.then(() => {
      if (this.chain === mine) this.chain = null;
    });
    return { body: [], later: p };
  }

  private run(req: Request, session: Session): Reply {
    try {
      switch (req.kind) {
        case "invalid":
          return fail(req.message);
        case "exit":
          return ok();
        case "auth":
          return fail(msg.notAuthorized());
        case "declare":
          switch (req.target) {
            case "service":
              return this.declareService(req.name, req.prop, req.value);
            case "proxy":
              return this.declareProxy(req.name, req.prop, req.value);
            case "socket":
              return done(this.sockets.declare(req.name, req.prop, req.value));
          }
        case "proxyService": {
          const r = this.declareService(req.service, req.prop, req.value, true);
          if (r.error === undefined) this.registry.attach(req.service, req.proxy);
          return r;
        }
        case "command": {
          const h = Object.hasOwn(this.commands, req.name) ? this.commands[req.name] : undefined;
          if (!h) return fail(msg.unknownCommand(req.name));
          return h(req.args, session);
        }
      }
    } catch (e) {
      // A bug must cost one request, never the daemon.
      const err = e as Error;
      this.world.log.event("error", `internal error: ${err?.stack ?? String(e)}`);
      return fail(`internal error: ${err?.message ?? String(e)}`);
    }
  }

  private declareService(name: string, prop: string, value: string | null, proxied = false): Reply {
    const props = this.registry.serviceProps(name);
    const underProxy = proxied || this.registry.service(name)?.proxy;
    const err =
      setResultMessage(setProp(props, prop, value), prop) ??
      conflict(propsConflict(name, props)) ??
      conflict(underProxy && ["fd", "notify", "log"].includes(props.ready.kind) ? `ready=${props.ready.kind} is not available to a service run by a proxy` : null) ??
      conflict(this.registry.deps.cycleWith(name, props));
    if (err !== null) return fail(err);
    const svc = this.registry.serviceOrNew(name);
    svc.props = props;
    svc.dispatch({ kind: "keep" }); // declared again: a pending destroy is off
    return ok();
  }

  private declareProxy(name: string, prop: string, value: string | null): Reply {
    const existing = this.registry.findProxy(name);
    const props = existing ? { ...existing.props } : defaultProxyProps();
    const err = setResultMessage(setProxyProp(props, prop, value), prop);
    if (err !== null) return fail(err);
    this.registry.proxy(name).props = props;
    return ok();
  }

  /** SPEC §3.5 selectors. `dflt` applies when there is no argument at all. */
  private select(args: string[], dflt: boolean): readonly Service[] | string {
    if (args.length === 0) return dflt ? this.list() : msg.missingSelector();
    const [sel, ...rest] = args;
    switch (sel) {
      case "service": {
        if (rest.length !== 1) return msg.serviceSelectorArity();
        const s = this.registry.service(rest[0]!);
        return s ? [s] : [];
      }
      case "tag":
        if (rest.length !== 1) return msg.tagSelectorArity();
        return this.list().filter((s) => s.props.tags.includes(rest[0]!));
      case "all":
        if (rest.length !== 0) return msg.allSelectorArity();
        return this.list();
      default:
        return msg.unknownSelector(sel!);
    }
  }

  /**
   * start/stop/restart/up/down: `done N`, with per-service refusals as body
   * lines. For a caller that can wait, the services are visited in slices
   * (slices.ts) and the reply comes after the last one. Between slices:
   * - a service forgotten meanwhile (destroyed before the action, down since)
   *   is skipped: starting it would leave a process nobody supervises;
   * - once shutdown begins, the services not yet started are not started
   *   (each counts as refused), so shutdown leaves nothing running.
   */
  private action(verb: "start" | "stop" | "restart" | "up" | "down", args: string[], session: Session): Reply {
    // `stop --with-dependents SELECTOR`: what depends on them stops too, first
    const withDependents = (verb === "stop" || verb === "down") && args[0] === "--with-dependents";
    const chosen = this.select(withDependents ? args.slice(1) : args, false);
    if (typeof chosen === "string") return fail(chosen);
    const sel = withDependents ? this.registry.deps.withDependents(chosen) : chosen;
    if (sel.length === 0) return fail(msg.noValidService());
    const starts = verb !== "stop" && verb !== "down";
    if (this.shuttingDown && starts) return fail(msg.shuttingDown());
    let done = 0;
    const refusals: string[] = [];
    const one = (svc: Service): void => {
      if (this.registry.service(svc.name) !== svc) return;
      if (this.shuttingDown && starts) {
        refusals.push(msg.shuttingDown());
        return;
      }
      let r: string | null;
      if (verb === "up" || verb === "down") {
        if (svc.alreadyThere(verb)) return;
        r = svc.dispatch({ kind: verb === "up" ? "start" : "stop" });
      } else {
        r = svc.dispatch({ kind: verb });
      }
      if (r === null) done++;
      else refusals.push(r);
    };
    const finish = (): Reply => {
      if (done === 0 && refusals.length > 0 && refusals.length === sel.length) return fail(refusals[0]!);
      return ok([...refusals.map((r) => `error: ${r}`), `done ${done}`]);
    };
    if (!session.mayDefer) {
      for (const svc of sel) one(svc);
      return finish();
    }
    const rest = inSlices(sel, one);
    return rest === null ? finish() : { body: [], later: rest.then(finish) };
  }

  private readonly commands: Record<string, Handler> = {
    start: (a, s) => this.action("start", a, s),
    stop: (a, s) => this.action("stop", a, s),
    restart: (a, s) => this.action("restart", a, s),
    up: (a, s) => this.action("up", a, s),
    down: (a, s) => this.action("down", a, s),
    restart_rolling: (a) => this.rolls.start("restart", a),
    reload: (a) => this.rolls.start("reload", a),
    rolls: (a) => this.rolls.list(a),
    roll_cancel: (a) => this.rolls.cancel(a),
    destroy: (a) => {
      const sel = this.select(a, false);
      if (typeof sel === "string") return fail(sel);
      if (sel.length === 0) return fail(msg.noValidService());
      for (const svc of sel) svc.dispatch({ kind: "destroy" });
      return ok();
    },
    ready: (a) => {
      const sel = this.select(a, false);
      if (typeof sel === "string") return fail(sel);
      if (sel.length === 0) return fail(msg.noValidService());
      const errors = sel.map((s) => s.readiness.commandReady()).filter((e) => e !== null);
      return errors.length === sel.length ? fail(errors[0]!) : ok(errors.map((e) => `error: ${e}`));
    },
    wait: (a) => waitCommand(a, { select: (args) => this.select(args, false), changes: this.changes, clock: this.world.clock, get: (n) => this.registry.service(n) }),
    status: (a) => this.query(a, (s) => s.statusLine()),
    desc: (a) => this.query(a, (s) => descToWire(s.desc())),
    // [ext] `info [-l] [SEL]`: restarts, uptime (and with -l cmd, tags, processes, memory, CPU), one JSON object per service
    info: (a) => {
      const long = a[0] === "-l";
      return this.query(long ? a.slice(1) : a, (s) => infoToWire(s.info(long)));
    },
    pids: (a) => this.query(a, pidsLine),
    list: (a) => (a.length > 0 ? fail(msg.tooManyArguments("list")) : ok(this.list().map((s) => s.name))),
    version: () => ok([this.world.version]),
    // [ext] the statements that recreate every declaration (cfkctl save)
    dump: (a) => (a.length > 0 ? fail(msg.tooManyArguments("dump")) : ok(dumpStatements(this.registry.declared()))),
    proxyup: (a) => this.proxyCommand(a, (p) => (this.shuttingDown ? msg.shuttingDown() : p.up())),
    proxydown: (a) => this.proxyCommand(a, (p) => (p.down(), null)),
    proxystatus: (a) => {
      if (a.length > 0) return fail(msg.tooManyArguments("proxystatus"));
      return ok(this.registry.proxyList().map((p) => proxyStatusToWire({ name: p.name, status: p.isUp ? "up" : "down", pid: p.pid })));
    },
    bind: (a) => this.socketCommand("bind", a),
    unbind: (a) => this.socketCommand("unbind", a),
    sockets: (a) => this.socketList(a),
    tail: (a) => tailCommand(a, (sel) => this.matcher(sel), this.world.log.tail),
    events: (a) => eventsCommand(a, (sel) => this.matcher(sel), this.events),
    shutdown: () => {
      if (!this.registry.shuttingDown) {
        this.registry.shuttingDown = true;
        queueMicrotask(() => this.world.requestShutdown());
      }
      return ok();
    },
  };

  /** `proxyup NAME` / `proxydown NAME`: the action's error, if any, is the reply's. */
  private proxyCommand(args: string[], action: (p: Proxy) => string | null): Reply {
    const p = args.length === 1 ? this.registry.findProxy(args[0]!) : undefined;
    if (!p) return fail(msg.noValidProxy());
    const err = action(p);
    return err === null ? ok() : fail(err);
  }

  /** `bind NAME` / `unbind NAME` [ext]. */
  private socketCommand(verb: "bind" | "unbind", args: string[]): Reply {
    if (args.length !== 1) return fail(msg.socketArity(verb));
    return done(this.sockets[verb](args[0]!));
  }

  /** `sockets [NAME...]` [ext]: name, address, bound|unbound, services that use it. */
  private socketList(args: string[]): Reply {
    const socks = this.sockets;
    const unknown = args.find((n) => !socks.get(n));
    if (unknown !== undefined) return fail(msg.unknownSocket(unknown));
    const chosen = socks.list().filter((s) => args.length === 0 || args.includes(s.name));
    const users = (name: string) =>
      this.list()
        .filter((svc) => svc.props.tie_stdin_to === name || svc.props.listen_fds.includes(name))
        .map((svc) => svc.name);
    return ok(chosen.map((s) => socks.describe(s, users(s.name))));
  }

  /** A selector as a test on names, evaluated when asked (tail -f outlives the request). */
  private matcher(args: string[]): ((name: string) => boolean) | string {
    const sel = this.select(args, true);
    if (typeof sel === "string") return sel;
    if (args[0] === "service") {
      if (sel.length === 0) return msg.unknownService(args[1]!);
      return (name) => name === args[1];
    }
    if (args[0] === "tag") return (name) => this.registry.service(name)?.props.tags.includes(args[1]!) ?? false;
    return (name) => this.registry.has(name);
  }

  private query(args: string[], line: (s: Service) => string): Reply {
    const sel = this.select(args, true);
    if (typeof sel === "string") return fail(sel);
    if (sel.length === 0 && args[0] === "service") return fail(msg.unknownService(args[1]!));
    return ok(sel.map(line));
  }
}

/** The reply a deferred one resolves to. */
function settle(r: Reply): Promise<Reply> | Reply {
  return r.later ?? r;
}

const conflict = (e: string | null) => (e === null ? null : `${msg.invalidValue()}: ${e}`);

/** `name: pid`, or `name: proxypid, pid` for a service whose proxy is up (the original's form). */
function pidsLine(s: Service): string {
  const proxyPid = s.link?.pid ?? null;
  return proxyPid === null ? `${s.name}: ${s.pid ?? ""}` : `${s.name}: ${proxyPid}, ${s.pid ?? ""}`;
}
