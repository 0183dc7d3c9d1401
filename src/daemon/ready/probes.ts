/**
 * The probes behind `ready=tcp:|http:|exec:` and `health=`: one attempt,
 * answered as null (it passed) or the reason it did not, never thrown.
 * Each attempt has a deadline, so a probe that hangs costs one timer.
 * `Bun.connect` and `fetch` are used here only.
 */
import { toArgv } from "../service/cmdline.ts";
import type { Spawner } from "../os/spawner.ts";
import { SIGKILL, type Signals } from "../os/signals.ts";
import type { Probe } from "./spec.ts";
import { probeText } from "./spec.ts";

export type ProbeContext = {
  spawner: Spawner;
  signals: Signals;
  /** the environment and directory exec: probes run with (the service's) */
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
};

/** Run one probe; resolves to null when it passed, else the reason. */
export function runProbe(p: Probe, ctx: ProbeContext): Promise<string | null> {
  const what = probeText(p);
  const said = (r: string | null) => (r === null ? null : `probe ${what}: ${r}`);
  switch (p.kind) {
    case "tcp":
      return tcp(p.host, p.port, ctx.timeoutMs).then(said);
    case "http":
      return http(p.url, ctx.timeoutMs).then(said);
    case "exec":
      return exec(p.cmd, ctx).then(said);
  }
}

function tcp(hostname: string, port: number, ms: number): Promise<string | null> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      resolve(r);
    };
    const t = setTimeout(() => finish(`no answer within ${ms / 1000}s`), ms);
    Bun.connect({
      hostname,
      port,
      socket: {
        open(s) {
          s.end();
          finish(null);
        },
        data() {},
        connectError(_s, e) {
          finish(words(e));
        },
        error(_s, e) {
          finish(words(e));
        },
      },
    }).catch((e) => finish(words(e)));
  });
}

async function http(url: string, ms: number): Promise<string | null> {
  try {
    const r = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(ms), headers: { "user-agent": "cfkd-probe" } });
    await r.body?.cancel();
    return r.status >= 200 && r.status < 400 ? null : `HTTP ${r.status}`;
  } catch (e) {
    const err = e as { name?: string };
    if (err?.name === "TimeoutError" || err?.name === "AbortError") return `no answer within ${ms / 1000}s`;
    return words(e);
  }
}

function exec(cmd: string, ctx: ProbeContext): Promise<string | null> {
  return new Promise((resolve) => {
    let t: ReturnType<typeof setTimeout> | undefined;
    try {
      const child = ctx.spawner(
        { argv: toArgv(cmd), env: ctx.env, cwd: ctx.cwd, newSession: true, stdin: "ignore", stdout: "ignore", stderr: "ignore" },
        (code, signal) => {
          clearTimeout(t);
          resolve(code === 0 ? null : signal !== null ? `killed by signal ${signal}` : `exit ${code}`);
        },
      );
      t = setTimeout(() => {
        ctx.signals.process(child.pid, SIGKILL, true);
        resolve(`no exit within ${ctx.timeoutMs / 1000}s`);
      }, ctx.timeoutMs);
    } catch (e) {
      resolve(words(e));
    }
  });
}

/** A short reason from an OS error ("connection refused"). */
function words(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const byCode: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ConnectionRefused: "connection refused",
    ENOTFOUND: "host not found",
    ETIMEDOUT: "timed out",
    ECONNRESET: "connection reset",
  };
  if (err?.code && byCode[err.code]) return byCode[err.code]!;
  const m = String(err?.message ?? e).replace(/^error:\s*/i, "");
  return /refused/i.test(m) ? "connection refused" : m;
}
