/** What the proxy tests share: fixtures, state polling, the log, /proc facts. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, ROOT, waitFor, type DaemonProcess, procStat } from "../harness.ts";

export const PERL_PROXY = join(FIXTURES, "proxy/exec-proxy.pl");
export const PYTHON_PROXY = join(ROOT, "proxies/cfk-python-proxy.py");
export const APP_DIR = join(FIXTURES, "proxy");

/** Wait until a service is in `state`; returns its status fields. */
export function waitState(d: DaemonProcess, name: string, state: string, ms = 5000): Promise<string[]> {
  return waitFor(async () => {
    const s = await d.status(name);
    return s[1] === state ? s : null;
  }, `${name} to be ${state}`, ms);
}

/** `proxystatus` as name → [up|down, pid]. */
export async function proxyStatus(d: DaemonProcess): Promise<Record<string, [string, string]>> {
  const out: Record<string, [string, string]> = {};
  for (const l of await d.ok("command proxystatus")) {
    const [name, st, pid] = l.split("\t");
    out[name!] = [st!, pid!];
  }
  return out;
}

/** Everything cfkd logged so far: cfkd.log when logging goes there, else its stderr. */
export function logText(d: DaemonProcess): string {
  const file = join(d.home, "cfkd.log");
  return existsSync(file) ? readFileSync(file, "utf8") : d.stderr;
}

/** Wait for a log line with this category and message. */
export function waitLog(d: DaemonProcess, category: string, message: string, ms = 5000): Promise<true> {
  const re = new RegExp(`${escape(category)} - ${escape(message)}$`, "m");
  return waitFor(() => re.test(logText(d)) || null, `log '${category} - ${message}'`, ms);
}

/** Wait for some text anywhere in the log (cfkd's writes and our reads of them are asynchronous). */
export function waitLogText(d: DaemonProcess, text: string, ms = 5000): Promise<true> {
  return waitFor(() => logText(d).includes(text) || null, `'${text}' in the log`, ms);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The parent pid of a process, from /proc. */
export function ppid(pid: number): number {
  return procStat(pid)!.ppid;
}
