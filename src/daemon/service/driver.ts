/**
 * How a service's process comes to be: spawned by cfkd itself (direct.ts),
 * or forked by a proxy (../proxy/proxy.ts). The life cycle is the same
 * either way; only these two effects differ. What a driver learns later
 * (the pid, the exit) it reports with `svc.dispatch`, which queues the
 * event when it is called during a step.
 */
import type { Service } from "./service.ts";

export type Started = {
  /** the process leads its own process group (signals go to the group) */
  groupLeader: boolean;
};

export interface Driver {
  /** Start the service's process; a string is the reason it cannot. */
  start(svc: Service): Started | string;
  /** Ask the process to stop with `signal` (pid null: not known yet). */
  stop(svc: Service, pid: number | null, signal: number, groupLeader: boolean): void;
}

/** A proxy as its services see it. */
export interface ProxyLink extends Driver {
  readonly name: string;
  /** the proxy's pid; null when it is down */
  readonly pid: number | null;
  /** why `service` cannot start now (a noauto proxy that is down), or null */
  blocked(service: string): string | null;
}

