/**
 * Management addresses (SPEC §2), shared by cfkd and cfkctl:
 * `unix:/path`, `/abs/path`, `rel/path` → unix socket;
 * `host:port`, `[v6]:port` → TCP.
 */
import { resolvePath } from "./paths.ts";

export type Address =
  | { kind: "unix"; path: string }
  | { kind: "tcp"; host: string; port: number };

/** Parse an address; returns an error string when it cannot be understood. */
export function parseAddress(text: string, cwd = process.cwd()): Address | { kind: "error"; message: string } {
  const a = text.trim();
  if (a === "") return { kind: "error", message: "empty address" };
  if (a.startsWith("unix:")) {
    const p = a.slice(5);
    if (p === "") return { kind: "error", message: `invalid address '${text}': no path after unix:` };
    return { kind: "unix", path: resolvePath(cwd, p) };
  }
  if (a.startsWith("/") || !a.includes(":")) return { kind: "unix", path: resolvePath(cwd, a) };
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(a) ?? /^([^:\s]+):(\d+)$/.exec(a);
  if (!m) return { kind: "error", message: `invalid address '${text}': expected unix:/path, /path, host:port or [v6]:port` };
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return { kind: "error", message: `invalid address '${text}': port must be 0-65535` };
  }
  return { kind: "tcp", host: m[1]!, port };
}

/** Render an address the way operators type it. */
export function formatAddress(a: Address): string {
  if (a.kind === "unix") return `unix:${a.path}`;
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** True for addresses that only this machine can reach. */
export function isLoopback(a: Address): boolean {
  if (a.kind === "unix") return true;
  const h = a.host.toLowerCase();
  return h === "localhost" || h === "::1" || /^127\./.test(h) || h === "::ffff:127.0.0.1";
}
