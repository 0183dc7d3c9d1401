/**
 * One proxy (SPEC §7): its declaration, its process and pipes while it
 * runs, and the services attached to it. It is those services' driver
 * (service/driver.ts): a start is a `start` command, a stop a `stop`
 * command; the pid and the end come back as status lines and go to each
 * service's machine as `spawned` and `exited` events.
 *
 * Races handled here:
 * - a start while the proxy is stopping (idle, proxydown): the start waits
 *   for the exit and goes to the next run of the proxy;
 * - a stop before the proxy was sent the start: the service is told its
 *   start never happened (`spawnFailed` while stopping → stopped);
 * - status lines for a run that has ended, or for a service that has since
 *   been started elsewhere, are ignored;
 * - the proxy's exit can be seen before its last status lines: those
 *   services end as `proxy stopped` rather than with their own status.
 */
import type { Socket } from "node:net";
import { msg } from "../../protocol/messages.ts";
import type { Clock } from "../os/clock.ts";
import type { Child, SpawnRequest, Spawner } from "../os/spawner.ts";
import { SIGKILL, SIGTERM, type Signals } from "../os/signals.ts";
import type { DaemonLog } from "../logging/types.ts";
import { LineSplitter } from "../logging/lines.ts";
import { toArgv } from "../service/cmdline.ts";
import { osReason } from "../service/direct.ts";
import type { ProxyLink, Started } from "../service/driver.ts";
import { exitReason } from "../service/machine.ts";
import type { Service } from "../service/service.ts";
import { defaultProxyProps, type ProxyProps } from "./props.ts";
import { COMMAND_FD, LOG_FD, parseLogLine, parseStatus, SOCK_PREFIX, startCommand, STATUS_FD, stopCommand } from "./protocol.ts";

export type ProxyWorld = {
  spawner: Spawner;
  signals: Signals;
  clock: Clock;
  log: DaemonLog;
  /** the proxy's spawn request (environment, pipes, sockets), or why it cannot be made */
  prepare(proxy: Proxy, argv: string[]): SpawnRequest | string;
  /** the proxy went up or down */
  onChange(proxy: Proxy): void;
};

/** How long a proxy has to exit after SIGTERM before SIGKILL (the original waited 3 s). */
export const PROXY_STOPWAIT_MS = 3000;

/** One run of the proxy process, from spawn to exit. */
class Run {
  /** starts that came while this run was stopping: they go to the next run */
  readonly deferred = new Set<Service>();
  stopping = false;
  /** start the proxy again once this run has ended (proxyup while stopping) */
  relaunch = false;
  cancelKill: (() => void) | null = null;

  constructor(
    readonly pid: number,
    private readonly commands: Socket,
    /** the shared sockets this run was given (`_CFK_SOCK_<name>`) */
    readonly sockets: ReadonlySet<string>,
  ) {}

  send(line: string): void {
    if (!this.commands.destroyed) this.commands.write(line + "\n");
  }

  /** EOF on the command pipe: the proxy should stop its services and exit. */
  closeCommands(): void {
    this.commands.end();
  }
}

export class Proxy implements ProxyLink {
  props: ProxyProps = defaultProxyProps();
  /** services declared under this proxy, by name */
  readonly services = new Map<string, Service>();
  private run: Run | null = null;
  /** the run each service's current process was started in */
  private readonly runOf = new Map<Service, Run>();
  /** cfkd is shutting down: stop once idle, auto or not */
  private retiring = false;

  constructor(
    readonly name: string,
    private readonly world: ProxyWorld,
  ) {}

  get pid(): number | null {
    return this.run?.pid ?? null;
  }
  get isUp(): boolean {
    return this.run !== null;
  }
  get auto(): boolean {
    return !this.props.noauto;
  }

  attach(svc: Service): void {
    this.services.set(svc.name, svc);
    svc.proxy = this;
  }

  detach(svc: Service): void {
    if (this.services.get(svc.name) === svc) this.services.delete(svc.name);
    if (!svc.up) this.runOf.delete(svc);
  }

  /** The shared sockets its services tie their stdin to: bound before the proxy starts. */
  socketsNeeded(): string[] {
    const names = [...this.services.values()].map((s) => s.props.tie_stdin_to);
    return [...new Set(names.filter((n): n is string => n !== null))];
  }

  /** `command proxyup`: null, or why the proxy cannot run. */
  up(): string | null {
    if (this.run) {
      if (this.run.stopping) this.run.relaunch = true;
      return null;
    }
    return this.launch([]);
  }

  /** `command proxydown`: SIGTERM, and SIGKILL if it is still there after PROXY_STOPWAIT_MS. */
  down(): void {
    if (!this.run) return;
    this.run.relaunch = false;
    this.stopRun(this.run, "proxydown");
  }

  /** cfkd shuts down: stop the proxy once its services are down. */
  retire(): void {
    this.retiring = true;
    this.checkIdle();
  }

  /** cfkd exits now: nothing of the proxy may outlive it, its workers included. */
  kill(): void {
    const run = this.run;
    if (!run) return;
    this.loseServices(run);
    this.world.signals.process(run.pid, SIGKILL, true);
  }

  /** An auto proxy stops when none of its services is up or about to retry. */
  checkIdle(): void {
    const run = this.run;
    if (!run || run.stopping || !(this.auto || this.retiring)) return;
    for (const svc of this.services.values()) if (svc.active) return;
    for (const [svc, r] of this.runOf) if (r === run && svc.up) return;
    this.stopRun(run, "no service left");
  }

  // --- the driver of its services ---

  blocked(service: string): string | null {
    if (this.run && !this.run.stopping) return null;
    if (!this.auto) return msg.proxyNotRunning(service);
    return this.props.cmd === null ? msg.proxyNoCommand(this.name) : null;
  }

  start(svc: Service): Started | string {
    const started = { groupLeader: !svc.props.no_new_session };
    const run = this.run;
    if (run?.stopping) {
      run.deferred.add(svc);
      this.runOf.delete(svc); // it no longer belongs to the run that ends
      return started;
    }
    const tie = svc.props.tie_stdin_to;
    if (run && tie !== null && !run.sockets.has(tie)) return msg.socketNotInProxy(tie, this.name);
    if (run) this.send(run, svc);
    else {
      const blocked = this.blocked(svc.name);
      if (blocked !== null) return blocked;
      const err = this.launch([svc]);
      if (err !== null) return err;
    }
    return started;
  }

  stop(svc: Service, _pid: number | null, signal: number): void {
    if (this.run?.deferred.delete(svc)) {
      svc.dispatch({ kind: "spawnFailed", reason: "stopped before its proxy started it" });
      return;
    }
    const run = this.runOf.get(svc);
    // a stopping proxy stops all its services itself; an ended one has none
    if (run && run === this.run && !run.stopping) run.send(stopCommand(svc.name, signal));
  }

  // --- the process ---

  private send(run: Run, svc: Service): void {
    this.runOf.set(svc, run);
    run.send(startCommand(svc.name, svc.props));
  }

  /** Spawn the proxy, send it `pending` starts, and resume the services waiting for it. */
  private launch(pending: Service[]): string | null {
    if (this.props.cmd === null) return msg.proxyNoCommand(this.name);
    const req = this.world.prepare(this, toArgv(this.props.cmd));
    if (typeof req === "string") return req;
    let run: Run | null = null;
    let child: Child;
    try {
      // the exit is delivered asynchronously, after `run` is set
      child = this.world.spawner(req, (code, signal) => run && this.exited(run, code, signal));
    } catch (e) {
      return osReason(e);
    }
    const [commands, status, logs] = [COMMAND_FD, STATUS_FD, LOG_FD].map((fd) => child.channels[fd - COMMAND_FD]!);
    const sockets = new Set(Object.keys(req.env).filter((k) => k.startsWith(SOCK_PREFIX)).map((k) => k.slice(SOCK_PREFIX.length)));
    run = new Run(child.pid, commands!, sockets);
    this.run = run;
    const pid = child.pid;
    const ended = run;
    for (const c of child.channels) c.on("error", () => {}); // a broken pipe ends as an exit
    void readLines(status!, (l) => this.onStatus(ended, l));
    void readLines(logs!, (l) => this.onLog(ended, l));
    // the proxy's own stdout/stderr are its log too
    if (child.stdout) void this.world.log.capture("proxy", this.name, "out", pid, child.stdout);
    if (child.stderr) void this.world.log.capture("proxy", this.name, "err", pid, child.stderr);
    this.world.log.event("info", `proxy '${this.name}' started (pid ${pid})`);
    for (const svc of pending) this.send(run, svc);
    this.world.onChange(this);
    // services that lost this proxy, or waited for it, come back (SPEC §7)
    for (const svc of this.services.values()) svc.dispatch({ kind: "resume" });
    return null;
  }

  private stopRun(run: Run, why: string): void {
    if (run.stopping) return;
    run.stopping = true;
    this.world.log.event("info", `shutting down proxy '${this.name}' (${why})`, run.pid);
    run.closeCommands();
    this.world.signals.send(run.pid, SIGTERM);
    run.cancelKill = this.world.clock.after(PROXY_STOPWAIT_MS, () => {
      this.world.log.event("warn", `proxy '${this.name}' still running after ${PROXY_STOPWAIT_MS / 1000}s, killing`, run.pid);
      this.world.signals.process(run.pid, SIGKILL, true);
    });
  }

  private exited(run: Run, code: number | null, signal: number | null): void {
    if (this.run === run) this.run = null;
    run.cancelKill?.();
    run.closeCommands();
    if (code === 0 || signal === SIGTERM) this.world.log.event("info", `proxy '${this.name}' exited`, run.pid);
    else this.world.log.event("error", `proxy '${this.name}' abnormal termination: ${exitReason(code, signal)}`, run.pid);
    // workers left in the proxy's own group (no_new_session) go with it
    this.world.signals.send(-run.pid, SIGKILL);
    this.loseServices(run);
    const waiting = [...run.deferred].filter((s) => s.up && s.pid === null && s.runningUnder === this);
    if (!this.run && (run.relaunch || waiting.length > 0)) {
      const err = this.launch(waiting);
      if (err !== null) for (const svc of waiting) svc.dispatch({ kind: "spawnFailed", reason: err });
    }
    this.world.onChange(this);
  }

  /** The services of a run that has ended lose their proxy (their workers, if any, are killed). */
  private loseServices(run: Run): void {
    for (const [svc, r] of [...this.runOf]) {
      if (r !== run) continue;
      this.runOf.delete(svc);
      if (svc.up && svc.runningUnder === this) svc.dispatch({ kind: "lost", reason: msg.proxyStopped(), alive: true });
    }
  }

  private onStatus(run: Run, line: string): void {
    const st = parseStatus(line);
    if (st.kind === "invalid") {
      this.world.log.event("error", `proxy '${this.name}' sent a bad status (${st.why}): ${line.slice(0, 200)}`, run.pid);
      return;
    }
    const svc = this.services.get(st.name) ?? [...this.runOf.keys()].find((s) => s.name === st.name);
    if (!svc || this.runOf.get(svc) !== run || !svc.up) {
      this.world.log.event("warn", `proxy '${this.name}' reports ${st.kind} for '${st.name}', which it does not run`, run.pid);
      return;
    }
    if (st.kind === "started") {
      svc.dispatch({ kind: "spawned", pid: st.pid });
      if (svc.pid !== st.pid) this.world.log.event("warn", `proxy '${this.name}': ignoring pid ${st.pid} for '${svc.name}'`, st.pid);
      return;
    }
    // the proxy is stopping: its services end with it, whatever their status
    if (run.stopping) svc.dispatch({ kind: "lost", reason: msg.proxyStopped(), alive: false });
    else if (svc.pid !== null) svc.dispatch({ kind: "exited", pid: st.pid ?? svc.pid, code: st.code, signal: st.signal });
    else if (st.pid !== null) {
      // the end of a start whose pid we never got
      svc.dispatch({ kind: "spawned", pid: st.pid });
      svc.dispatch({ kind: "exited", pid: st.pid, code: st.code, signal: st.signal });
    } else svc.dispatch({ kind: "spawnFailed", reason: exitReason(st.code, st.signal) });
  }

  private onLog(run: Run, line: string): Promise<void> | undefined {
    const l = parseLogLine(line);
    if (l.service === null) return this.world.log.proxyLine(this.name, l.stream, run.pid, l.text);
    const svc = this.services.get(l.service);
    if (svc) return this.world.log.serviceLine(svc.name, l.stream, svc.pid, l.text);
    this.world.log.event("warn", `proxy '${this.name}' logs for unknown service '${l.service}': ${l.text}`, run.pid);
    return undefined;
  }
}


/** Read a pipe line by line to its end (or until it breaks). */
async function readLines(sock: Socket, emit: (line: string) => Promise<void> | undefined | void): Promise<void> {
  const split = new LineSplitter(emit);
  try {
    // awaiting a backed-up log stops the reads: the proxy's pipe fills and
    // the proxy (and its workers' output) is slowed, not the daemon's memory
    for await (const chunk of sock) await split.push(chunk as Buffer);
  } catch {
    /* the pipe broke: keep what we have */
  }
  await split.end();
  sock.destroy();
}
