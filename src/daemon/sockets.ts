/**
 * The registry of shared listening sockets (SPEC §3.3, §5): declarations,
 * `bind`/`unbind`, binding on demand when a service starts, and the
 * descriptors and environment handed to services and proxies. Binding itself
 * is in socket/bind.ts; property rules in socket/props.ts.
 */
import { readFileSync } from "node:fs";
import { msg } from "../protocol/messages.ts";
import { byName } from "../protocol/status.ts";
import { setResultMessage } from "./props-table.ts";
import type { DaemonLog } from "./logging/types.ts";
import { bindSocket, closeSocket, removeSocketFile, type Bound } from "./socket/bind.ts";
import { bindTarget, declaredAddress, defaultSocketProps, servicePort, setSocketProp, type SocketProps } from "./socket/props.ts";

export type SharedSocket = { name: string; props: SocketProps; bound: Bound | null };

/** The sockets a service asked for, as a spawn needs them. */
export type ServiceSockets = {
  /** fd 0 (`tie_stdin_to`), or undefined for /dev/null */
  stdin?: number;
  /** fds 3, 4, … (`listen_fds`) */
  extraFds: number[];
  /** LISTEN_FDS and LISTEN_FDNAMES when there are extra fds */
  env: Record<string, string>;
  /** LISTEN_PID must be set to the child's own pid */
  listenPid: boolean;
};

/** The systemd variables that must never leak from cfkd's own environment. */
export const LISTEN_VARS = ["LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID"] as const;

export class Sockets {
  private map = new Map<string, SharedSocket>();

  constructor(
    private readonly log: Pick<DaemonLog, "event">,
    private readonly lookupService: (name: string) => number | undefined = etcServicesPort,
  ) {}

  get(name: string): SharedSocket | undefined {
    return this.map.get(name);
  }

  /** Sockets sorted by name. */
  list(): SharedSocket[] {
    return [...this.map.values()].sort(byName);
  }

  /** `socket NAME PROP=VALUE`: null, or the error message for the client. */
  declare(name: string, prop: string, value: string | null): string | null {
    const existing = this.map.get(name);
    const props = existing ? { ...existing.props } : defaultSocketProps();
    const err = setResultMessage(setSocketProp(props, prop, value), prop);
    if (err !== null) return err;
    if (existing) existing.props = props;
    else this.map.set(name, { name, props, bound: null });
    return null;
  }

  /** `command bind NAME`: null, or the error message. */
  bind(name: string): string | null {
    const s = this.map.get(name);
    if (!s) return msg.unknownSocket(name);
    if (s.bound) return msg.socketAlreadyBound(name);
    return this.doBind(s);
  }

  /** `command unbind NAME`: close the daemon's copy. */
  unbind(name: string): string | null {
    const s = this.map.get(name);
    if (!s) return msg.unknownSocket(name);
    if (!s.bound) return msg.socketNotBound(name);
    closeSocket(s.bound);
    s.bound = null;
    this.log.event("info", `'${name}' socket is now unbound`);
    return null;
  }

  /** Shutdown: close every socket and remove the unix socket files we made. */
  unbindAll(): void {
    for (const s of this.map.values()) {
      if (!s.bound) continue;
      closeSocket(s.bound);
      removeSocketFile(s.bound);
      s.bound = null;
    }
  }

  /**
   * The descriptor of a socket a service needs, binding it first when it is
   * declared but unbound; a string is the reason the service cannot start.
   */
  acquire(name: string, forService: string): number | string {
    const s = this.map.get(name);
    if (!s) return msg.unknownSocket(name);
    if (!s.bound) {
      this.log.event("info", `binding socket '${name}' for service '${forService}'`);
      const err = this.doBind(s);
      if (err) return err;
    }
    return s.bound!.fd;
  }

  /** fd 0 and fds 3… for a service's `tie_stdin_to` and `listen_fds`. */
  forService(service: string, tie: string | null, listenFds: readonly string[]): ServiceSockets | string {
    const out: ServiceSockets = { extraFds: [], env: {}, listenPid: false };
    if (tie !== null) {
      const fd = this.acquire(tie, service);
      if (typeof fd === "string") return fd;
      out.stdin = fd;
    }
    for (const name of listenFds) {
      const fd = this.acquire(name, service);
      if (typeof fd === "string") return fd;
      out.extraFds.push(fd);
    }
    if (out.extraFds.length > 0) {
      out.env = { LISTEN_FDS: String(out.extraFds.length), LISTEN_FDNAMES: listenFds.join(":") };
      out.listenPid = true;
    }
    return out;
  }

  /**
   * Every bound socket for a proxy (SPEC §7): the descriptors to pass, to be
   * placed in the child at firstFd, firstFd+1, …, and `_CFK_SOCK_<name>=<fd>`
   * naming the child's numbers.
   */
  forProxy(firstFd: number): { fds: number[]; env: Record<string, string> } {
    const fds: number[] = [];
    const env: Record<string, string> = {};
    for (const s of this.list()) {
      if (!s.bound) continue;
      env[`_CFK_SOCK_${s.name}`] = String(firstFd + fds.length);
      fds.push(s.bound.fd);
    }
    return { fds, env };
  }

  /** One line of `command sockets`: name, address, bound|unbound, users. */
  describe(s: SharedSocket, users: string[]): string {
    const address = s.bound ? s.bound.address : declaredAddress(s.props);
    return [s.name, address, s.bound ? "bound" : "unbound", users.join(",")].join("\t");
  }

  private doBind(s: SharedSocket): string | null {
    const target = bindTarget(s.props, this.lookupService);
    const where = declaredAddress(s.props);
    if (typeof target === "string") return this.bindFailed(s.name, where, target);
    const b = bindSocket(target, { backlog: s.props.listen_qsize, nonblocking: s.props.nonblocking });
    if (typeof b === "string") return this.bindFailed(s.name, where, b);
    s.bound = b;
    this.log.event("info", `'${s.name}' socket is now bound: ${b.address} (fd ${b.fd})`);
    return null;
  }

  private bindFailed(name: string, where: string, reason: string): string {
    const m = msg.cannotBind(name, where, reason);
    this.log.event("error", m);
    return m;
  }
}

let etcServices: string | null = null;

/** A service name's TCP port, from /etc/services (read once). */
function etcServicesPort(name: string): number | undefined {
  if (etcServices === null) {
    try {
      etcServices = readFileSync("/etc/services", "utf8");
    } catch {
      etcServices = "";
    }
  }
  return servicePort(etcServices, name);
}
