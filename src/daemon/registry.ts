/**
 * The registry: every service, proxy and shared socket the daemon knows,
 * the stream of their state changes, waits for "everything down" and the
 * shutdown sequence. The statement dispatcher (controller.ts) asks it; it
 * parses nothing and replies to nobody.
 */
import { byName } from "../protocol/status.ts";
import { defaultProps } from "./service/props.ts";
import { Service, type ServiceWorld, type StateChange } from "./service/service.ts";
import { Proxy } from "./proxy/proxy.ts";
import type { ProxyProps } from "./proxy/props.ts";
import type { SpawnRequest } from "./os/spawner.ts";
import { Sockets } from "./sockets.ts";
import { Changes } from "./changes.ts";
import type { Declared } from "./dump.ts";
import { Dependencies } from "./ready/dependencies.ts";

export type RegistryWorld = Omit<ServiceWorld, "onDown" | "onForget" | "onChange"> & {
  /** a proxy's spawn request (SPEC §7) with the sockets its services need, or why it cannot be made */
  prepareProxy(name: string, props: ProxyProps, argv: string[], needs: readonly string[]): SpawnRequest | string;
  /** shared listening sockets (SPEC §3.3); a private registry when absent */
  sockets?: Sockets;
};

/** How long shutdown waits beyond the longest stopwait_secs before it kills what is left. */
const SHUTDOWN_GRACE_MS = 1000;

export class Registry {
  private services = new Map<string, Service>();
  private proxies = new Map<string, Proxy>();
  private downWaiters = new Set<() => void>();
  shuttingDown = false;
  readonly sockets: Sockets;
  /** every service state change, for whoever listens (changes.ts) */
  readonly changes = new Changes();
  /** start order (`after=`, docs/readiness.md) */
  readonly deps: Dependencies;

  constructor(private readonly world: RegistryWorld) {
    this.sockets = world.sockets ?? new Sockets(world.log);
    this.deps = new Dependencies(() => this.list(), (n) => this.services.get(n));
  }

  /** Services sorted by name (kept until a service is created or forgotten: every status asks). */
  list(): readonly Service[] {
    this.sorted ??= [...this.services.values()].sort(byName);
    return this.sorted;
  }

  private sorted: readonly Service[] | null = null;

  service(name: string): Service | undefined {
    return this.services.get(name);
  }

  has(name: string): boolean {
    return this.services.has(name);
  }

  /** The service of that name, created with default properties on first mention. */
  serviceOrNew(name: string): Service {
    return this.services.get(name) ?? this.create(name);
  }

  /** The declared properties to start from when a statement changes one. */
  serviceProps(name: string) {
    const existing = this.services.get(name);
    return existing ? { ...existing.props } : defaultProps();
  }

  /** Every declared object, for `command dump` and the state file (dump.ts). */
  declared(): Declared {
    return {
      sockets: this.sockets.list(),
      proxies: this.proxyList(),
      services: this.list().map((s) => ({ name: s.name, props: s.props, proxy: s.proxy?.name ?? null })),
    };
  }

  /** Proxies sorted by name. */
  proxyList(): Proxy[] {
    return [...this.proxies.values()].sort(byName);
  }

  findProxy(name: string): Proxy | undefined {
    return this.proxies.get(name);
  }

  /** The proxy of that name, created on first mention. */
  proxy(name: string): Proxy {
    let p = this.proxies.get(name);
    if (!p) {
      p = new Proxy(name, {
        ...this.world,
        prepare: (proxy, argv) => this.world.prepareProxy(proxy.name, proxy.props, argv, proxy.socketsNeeded()),
        onChange: () => this.wakeDownWaiters(),
      });
      this.proxies.set(name, p);
    }
    return p;
  }

  /** `proxy NAME service SVC ...`: SVC is run by proxy NAME from its next start. */
  attach(service: string, proxyName: string): void {
    const svc = this.services.get(service)!;
    const p = this.proxy(proxyName);
    if (svc.proxy === p) return;
    if (svc.proxy instanceof Proxy) svc.proxy.detach(svc);
    p.attach(svc);
  }

  /** Resolves once every service and every proxy is down. */
  allDown(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.list().every((s) => !s.active) && [...this.proxies.values()].every((p) => !p.isUp)) {
          this.downWaiters.delete(check);
          resolve();
        }
      };
      this.downWaiters.add(check);
      check();
    });
  }

  /** Bring every service down, then every proxy (shutdown, signals). */
  stopAll(): void {
    this.shuttingDown = true;
    // dependents first: a dependency stops once nothing active needs it (onDown)
    for (const s of this.list()) if (s.active && !this.deps.neededByUp(s)) s.dispatch({ kind: "stop" });
    for (const p of this.proxies.values()) p.retire();
  }

  /** cfkd exits now: SIGKILL the proxies still running, so none outlives it. */
  killProxies(): void {
    for (const p of this.proxies.values()) p.kill();
  }

  /** SIGKILLs cfkd has sent to services so far (stopwait expired). */
  kills(): number {
    return this.list().reduce((n, s) => n + s.kills, 0);
  }

  /**
   * Shutdown: stop everything, wait (on the clock) until all is down or
   * `limitMs` has passed (default: the longest stopwait_secs plus a grace
   * second; PID-1 mode: --grace), then `finalKill` (SIGKILL to whatever is
   * left, docs/container.md) and a last second for it, then kill the
   * proxies still running and release the shared sockets. `killed`: cfkd
   * had to SIGKILL something (a stopwait ran out, or the limit did).
   */
  async shutdown(o: { limitMs?: number; late?: () => void; finalKill?: () => void } = {}): Promise<{ killed: boolean }> {
    const killsBefore = this.kills();
    this.stopAll();
    const inTime = await this.downWithin(o.limitMs ?? this.shutdownBudgetMs());
    if (!inTime) o.late?.();
    if (o.finalKill) {
      o.finalKill();
      await this.downWithin(SHUTDOWN_GRACE_MS);
    }
    this.killProxies();
    this.sockets.unbindAll();
    return { killed: !inTime || this.kills() > killsBefore };
  }

  /** true once everything is down, false if not within ms (on the clock). */
  private async downWithin(ms: number): Promise<boolean> {
    let cancel = () => {};
    const late = new Promise<boolean>((r) => (cancel = this.world.clock.after(ms, () => r(false))));
    const inTime = await Promise.race([this.allDown().then(() => true), late]);
    cancel();
    return inTime;
  }

  /** SPEC: shutdown is over within the longest stopwait_secs + 1 s (the log's flush included). */
  shutdownBudgetMs(): number {
    // services stop in rounds when some come after others (after=): one stopwait per round
    return Math.max(0, ...this.list().map((s) => s.props.stopwait_secs)) * 1000 * this.deps.levels() + SHUTDOWN_GRACE_MS;
  }

  private create(name: string): Service {
    const svc = new Service(name, {
      ...this.world,
      onDown: (s) => this.onDown(s),
      onForget: (s) => this.forget(s),
      onChange: (s, c) => this.onChange(s, c),
      waitingFor: (s) => this.deps.waitingFor(s),
    });
    this.services.set(name, svc);
    this.sorted = null;
    return svc;
  }

  private onChange(svc: Service, c: StateChange): void {
    this.deps.changed(svc);
    if (this.changes.size === 0) return;
    // a reload's older generation, while it lives beside the current process
    const older = svc.older;
    this.changes.publish({ at: this.world.clock.nowMs(), name: svc.name, ...c, ...(older ? { old_pid: older.pid } : {}) });
  }

  private onDown(svc: Service): void {
    // shutdown: the dependencies of what just stopped may stop now
    if (this.shuttingDown) for (const d of this.deps.of(svc)) if (d.active && d.state !== "stopping" && !this.deps.neededByUp(d)) d.dispatch({ kind: "stop" });
    // an auto proxy stops with its last service
    for (const p of this.proxies.values()) p.checkIdle();
    this.wakeDownWaiters();
  }

  private wakeDownWaiters(): void {
    for (const w of [...this.downWaiters]) w();
  }

  private forget(svc: Service): void {
    if (this.services.get(svc.name) !== svc) return;
    this.services.delete(svc.name);
    this.sorted = null;
    if (svc.proxy instanceof Proxy) svc.proxy.detach(svc);
    this.world.log.tail.forget(svc.name);
    this.world.trees?.release(svc.name);
    this.world.log.event("info", `Destroying service '${svc.name}'`);
  }
}
