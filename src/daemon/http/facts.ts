/**
 * The facts the HTTP face serves about each service, gathered in one record
 * (`ServiceRow`) that /ready, /metrics, /events and the page all read, so a
 * new fact is added here once.
 *
 * The base is the status record (protocol/status.ts) and the service's
 * `info` record (restarts: the starts cfkd made on its own). A `ready` flag
 * that the readiness issue adds to the status record slots in by name;
 * until then ready = state `running`.
 */
import { statusFromWire, type StatusRecord } from "../../protocol/status.ts";
import type { Service } from "../service/service.ts";
import type { Changes } from "../changes.ts";
import type { Tail, Captured } from "../logging/tail.ts";
import { processTable, type GroupUsage } from "../os/procfs.ts";

/** What the HTTP face reads from the daemon; daemon.ts passes it in. */
export type HttpWorld = {
  /** the services, sorted by name */
  services(): readonly Service[];
  changes: Changes;
  tail: Tail;
  /** console connections open now, over every console */
  consoleConnections(): number;
  /** console requests answered since start, over every console */
  consoleRequests(): number;
  version: string;
  nowMs(): number;
};

/** the wire status record's facts (less the command line), and what the HTTP face adds */
export type ServiceRow = Omit<StatusRecord, "running_cmd" | "ready"> & {
  tags: string[];
  up: boolean;
  ready: boolean;
  restarts: number;
  /** the exit code of its last process, 128 + the signal when a signal ended it; null before any exit */
  last_exit: number | null;
};

/** Status facts that other issues may add to the record; used when present. */
type Extra = Partial<{ ready: boolean }>;

export function rowOf(svc: Service): ServiceRow {
  const st = svc.status() as StatusRecord & Extra;
  const exit = svc.lastExit;
  return {
    name: st.name,
    state: st.state,
    pid: st.pid,
    start_time: st.start_time,
    stop_time: st.stop_time,
    proxy: st.proxy,
    fail_reason: st.fail_reason,
    tags: svc.props.tags,
    up: svc.up,
    ready: st.ready ?? st.state === "running",
    restarts: svc.info(false).restarts,
    last_exit: exit === null ? null : exit.signal !== null ? 128 + exit.signal : exit.code,
  };
}

/**
 * Each row's CPU and memory (its process group's, else its process's), from
 * one pass over /proc — and none at all when no row has a process.
 */
export function rowUsage(rows: readonly ServiceRow[]): (row: ServiceRow) => GroupUsage | null {
  const table = rows.some((r) => r.pid !== null) ? processTable() : null;
  return (r) => (r.pid === null || table === null ? null : table.usageOf(r.pid));
}

/** `cfkctl --json status`'s records: parsed from the same wire lines cfkctl parses. */
export function statusRecords(world: HttpWorld): StatusRecord[] {
  return world.services().map((s) => statusFromWire(s.statusLine()));
}

export type { Captured };
