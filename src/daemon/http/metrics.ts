/**
 * `GET /metrics`: the Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). Pure: it
 * renders the values it is handed; server.ts gathers them when scraped.
 *
 * Every family is written once, `# HELP` then `# TYPE` then its samples;
 * label values escape `\`, `"` and newline, HELP text `\` and newline. A
 * sample whose value is unknown (no process, never exited) is left out
 * rather than given a made-up number.
 */
import { STATES } from "../../protocol/status.ts";
import type { ServiceRow, Captured } from "./facts.ts";
import type { GroupUsage } from "../os/procfs.ts";

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type SelfFacts = {
  version: string;
  cpuSeconds: number;
  rssBytes: number;
  openFds: number | null;
  maxFds: number | null;
  startTimeSeconds: number;
  consoleConnections: number;
  consoleRequests: number;
  httpRequests: ReadonlyMap<number, number>;
  eventStreams: number;
};

export type ServiceMetrics = { row: ServiceRow; usage: GroupUsage | null; captured: Readonly<Captured> | null };

export function escapeLabel(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") : v;
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function value(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

type Sample = readonly [labels: string, value: number | null];

/** Render labels `{a="x",b="y"}` from pairs (values escaped). */
export function labels(pairs: Record<string, string>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

class Exposition {
  private out: string[] = [];

  family(name: string, type: "gauge" | "counter", help: string, samples: Iterable<Sample>): void {
    this.out.push(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
    for (const [l, v] of samples) if (v !== null) this.out.push(`${name}${l} ${value(v)}\n`);
  }

  text(): string {
    return this.out.join("");
  }
}

function* perService(list: readonly ServiceMetrics[], f: (m: ServiceMetrics) => number | null): Iterable<Sample> {
  for (const m of list) yield [`{service="${escapeLabel(m.row.name)}"}`, f(m)];
}

function* perStream(list: readonly ServiceMetrics[], f: (c: Captured[keyof Captured]) => number): Iterable<Sample> {
  for (const m of list) {
    const svc = escapeLabel(m.row.name);
    for (const stream of ["out", "err"] as const) yield [`{service="${svc}",stream="${stream}"}`, m.captured ? f(m.captured[stream]) : 0];
  }
}

function* stateSamples(list: readonly ServiceMetrics[]): Iterable<Sample> {
  for (const m of list) {
    const svc = escapeLabel(m.row.name);
    for (const s of STATES) yield [`{service="${svc}",state="${s}"}`, m.row.state === s ? 1 : 0];
  }
}

const b = (x: boolean) => (x ? 1 : 0);

export function renderMetrics(list: readonly ServiceMetrics[], self: SelfFacts): string {
  const e = new Exposition();
  e.family("cfkd_service_state", "gauge", "1 for the state the service is in, 0 for the others.", stateSamples(list));
  e.family("cfkd_service_up", "gauge", "1 when the service is up (starting, running or stopping).", perService(list, (m) => b(m.row.up)));
  e.family("cfkd_service_ready", "gauge", "1 when the service is ready (running, until a readiness check says more).", perService(list, (m) => b(m.row.ready)));
  e.family("cfkd_service_restarts_total", "counter", "Starts cfkd made on its own (respawns, backoff retries) since the service was declared.", perService(list, (m) => m.row.restarts));
  e.family("cfkd_service_last_exit_code", "gauge", "Exit code of the service's last process; 128 + signal number when a signal ended it.", perService(list, (m) => m.row.last_exit));
  e.family("cfkd_service_start_time_seconds", "gauge", "Start time of the service's current process, seconds since the epoch.", perService(list, (m) => (m.row.up ? m.row.start_time : null)));
  e.family("cfkd_service_cpu_seconds_total", "counter", "User and system CPU time of the service's processes (its process group), seconds.", perService(list, (m) => m.usage?.cpuSeconds ?? null));
  e.family("cfkd_service_resident_memory_bytes", "gauge", "Resident memory of the service's processes (its process group), bytes.", perService(list, (m) => m.usage?.rssBytes ?? null));
  e.family("cfkd_service_processes", "gauge", "Processes in the service's process group.", perService(list, (m) => m.usage?.processes ?? null));
  e.family("cfkd_service_log_lines_total", "counter", "Lines of output captured from the service, by stream.", perStream(list, (c) => c.lines));
  e.family("cfkd_service_log_bytes_total", "counter", "Bytes of output captured from the service (newlines not counted), by stream.", perStream(list, (c) => c.bytes));
  e.family("cfkd_services", "gauge", "Services declared.", [["", list.length]]);
  e.family("cfkd_build_info", "gauge", "The cfkd version, as a label.", [[labels({ version: self.version }), 1]]);
  e.family("cfkd_console_connections", "gauge", "Console connections open now.", [["", self.consoleConnections]]);
  e.family("cfkd_console_requests_total", "counter", "Console requests answered.", [["", self.consoleRequests]]);
  e.family("cfkd_http_requests_total", "counter", "HTTP requests answered, by status code.", [...self.httpRequests].map(([code, n]): Sample => [labels({ code: String(code) }), n]));
  e.family("cfkd_http_event_streams", "gauge", "Event streams (GET /events) open now.", [["", self.eventStreams]]);
  e.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent by cfkd, seconds.", [["", self.cpuSeconds]]);
  e.family("process_resident_memory_bytes", "gauge", "Resident memory of cfkd, bytes.", [["", self.rssBytes]]);
  e.family("process_open_fds", "gauge", "Open file descriptors of cfkd.", [["", self.openFds]]);
  e.family("process_max_fds", "gauge", "Most file descriptors cfkd may open.", [["", self.maxFds]]);
  e.family("process_start_time_seconds", "gauge", "Start time of cfkd, seconds since the epoch.", [["", self.startTimeSeconds]]);
  return e.text();
}
