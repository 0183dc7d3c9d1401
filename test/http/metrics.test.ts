/**
 * Issue 18 acceptance 2: /metrics passes `promtool check metrics` with 200
 * services, and its counters move when a service restarts, exits or writes.
 * Plus the exposition's escaping, checked on the renderer itself.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { waitFor } from "../harness.ts";
import { declare, httpDaemon, runningPid, type HttpDaemon } from "./helpers.ts";
import { escapeLabel, labels, renderMetrics } from "../../src/daemon/http/metrics.ts";

const N = 200;
let h: HttpDaemon;
const name = (i: number) => `s${String(i).padStart(3, "0")}`;

beforeAll(async () => {
  h = await httpDaemon();
  const services: Record<string, string[]> = {};
  for (let i = 0; i < N; i++) services[name(i)] = ["cmd=sleep 1000", "startwait_secs=0.2", `tags=${i % 2 ? "odd" : "even"}`];
  // a service that writes a line on demand (stdin is not available: it writes every 50 ms)
  services.talker = ["cmd=sh -c 'while :; do echo tick; sleep 0.05; done'", "startwait_secs=0.2"];
  await declare(h.d, services);
  await h.d.ok("command start all");
  await waitFor(async () => (await h.d.ok("command status")).every((l) => l.split("\t")[1] === "running"), "every service to run", 20000, 100);
});
afterAll(() => h?.[Symbol.asyncDispose]());

async function scrape(): Promise<string> {
  const r = await fetch(`${h.base}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return r.text();
}

/** The value of one sample, by its full name and labels; null when absent. */
function sample(text: string, series: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

test("promtool check metrics accepts the exposition with 200 services", async () => {
  const text = await scrape();
  const p = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: Buffer.from(text), stdout: "pipe", stderr: "pipe" });
  expect(p.stderr.toString() + p.stdout.toString()).toBe("");
  expect(p.exitCode).toBe(0);
  expect(sample(text, "cfkd_services")).toBe(N + 1);
  expect(sample(text, `cfkd_service_state{service="s007",state="running"}`)).toBe(1);
  expect(sample(text, `cfkd_service_state{service="s007",state="stopped"}`)).toBe(0);
  expect(sample(text, `cfkd_service_up{service="s199"}`)).toBe(1);
  expect(sample(text, `cfkd_service_ready{service="s199"}`)).toBe(1);
  expect(sample(text, `cfkd_service_resident_memory_bytes{service="s000"}`)).toBeGreaterThan(100_000);
  expect(sample(text, `cfkd_service_cpu_seconds_total{service="s000"}`)).toBeGreaterThanOrEqual(0);
  expect(sample(text, `cfkd_service_processes{service="s000"}`)).toBe(1);
  expect(sample(text, `cfkd_service_start_time_seconds{service="s000"}`)).toBeGreaterThan(Date.now() / 1000 - 120);
  expect(sample(text, "process_open_fds")).toBeGreaterThan(200); // 2 pipes per service at least
  expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
  expect(sample(text, "cfkd_console_requests_total")).toBeGreaterThan(N);
  // every family has exactly one HELP and one TYPE line, HELP first
  const families = text.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]);
  expect(new Set(families).size).toBe(families.length);
});

test("counters move: a respawn (not the operator's restart), a killed process's exit code, captured lines, requests", async () => {
  const before = await scrape();
  const restarts0 = sample(before, `cfkd_service_restarts_total{service="s010"}`)!;
  const pid0 = await runningPid(h.d, "s010");
  await h.d.ok("command restart service s010");
  await waitFor(async () => (await runningPid(h.d, "s010")) !== pid0, "s010 to run again");
  const pid = await runningPid(h.d, "s011");
  process.kill(pid, "SIGKILL");
  await waitFor(async () => (await runningPid(h.d, "s011")) !== pid, "s011 to come back");

  const after: string = await waitFor(async () => {
    const t = await scrape();
    return sample(t, `cfkd_service_log_lines_total{service="talker",stream="out"}`)! > sample(before, `cfkd_service_log_lines_total{service="talker",stream="out"}`)! ? t : null;
  }, "the talker's lines to be counted");
  expect(sample(after, `cfkd_service_restarts_total{service="s010"}`)).toBe(restarts0); // asked for: not a restart of its own
  expect(sample(after, `cfkd_service_last_exit_code{service="s010"}`)).toBe(128 + 15); // stopped by SIGTERM
  expect(sample(after, `cfkd_service_restarts_total{service="s011"}`)).toBe(1);
  expect(sample(after, `cfkd_service_restarts_total{service="s012"}`)).toBe(0);
  expect(sample(after, `cfkd_service_last_exit_code{service="s011"}`)).toBe(128 + 9);
  expect(sample(after, `cfkd_service_last_exit_code{service="s012"}`)).toBeNull(); // never exited: no made-up value
  expect(sample(after, `cfkd_service_log_bytes_total{service="talker",stream="out"}`)).toBe(4 * sample(after, `cfkd_service_log_lines_total{service="talker",stream="out"}`)!);
  expect(sample(after, `cfkd_http_requests_total{code="200"}`)!).toBeGreaterThan(sample(before, `cfkd_http_requests_total{code="200"}`) ?? 0);
});

test("label values and help text are escaped as the format requires", () => {
  expect(escapeLabel('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  expect(labels({ version: 'x"y' })).toBe('{version="x\\"y"}');
  const text = renderMetrics([], {
    version: 'v1\n"2"\\',
    cpuSeconds: 1.5,
    rssBytes: 10,
    openFds: null,
    maxFds: null,
    startTimeSeconds: 1,
    consoleConnections: 0,
    consoleRequests: 0,
    httpRequests: new Map(),
    eventStreams: 0,
  });
  expect(text).toContain('cfkd_build_info{version="v1\\n\\"2\\"\\\\"} 1\n');
  expect(text).not.toMatch(/^process_open_fds /m); // unknown: left out, not 0
  const p = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: Buffer.from(text), stdout: "pipe", stderr: "pipe" });
  expect(p.exitCode).toBe(0);
});
