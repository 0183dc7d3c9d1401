/**
 * Socket properties (SPEC §3.3): their defaults and the rules that turn a
 * wire value into a typed one, and the bind target they describe. Pure: a
 * bad value is reported, never thrown.
 */
import { isIP } from "node:net";
import { parseBool } from "../../protocol/values.ts";
import { applyProp, parsed, type SetResult, type Setter as PropSetter } from "../props-table.ts";

export type SocketProps = {
  /** IP literal, `localhost`, or `unix/`; null until declared */
  host: string | null;
  /** port number, /etc/services name, or (with `unix/`) a path */
  service: string | null;
  /** listen backlog: a number, `max` (the system's limit), or null for SOMAXCONN */
  listen_qsize: number | "max" | null;
  nonblocking: boolean;
};

export function defaultSocketProps(): SocketProps {
  return { host: null, service: null, listen_qsize: null, nonblocking: false };
}

type Setter = PropSetter<SocketProps>;

/** `[::1]` → `::1`; `LOCALHOST` → `localhost`; anything else unchanged. */
function normalizeHost(v: string): string {
  const t = v.trim();
  const inner = /^\[(.*)\]$/.exec(t)?.[1] ?? t;
  return inner.toLowerCase() === "localhost" ? "localhost" : inner;
}

const setters: Record<string, Setter> = {
  host: (p, v) => {
    const h = normalizeHost(v);
    if (h !== "unix/" && h !== "localhost" && isIP(h) === 0) return false;
    p.host = h;
    return true;
  },
  service: (p, v) => {
    const s = v.trim();
    if (/^\d+$/.test(s)) {
      if (Number(s) > 65535) return false;
      p.service = String(Number(s));
      return true;
    }
    // a path (for unix/) or a service name; which one is checked at bind time
    if (s.includes("\0") || !(s.includes("/") || /^[A-Za-z][A-Za-z0-9._+-]*$/.test(s))) return false;
    p.service = s;
    return true;
  },
  listen_qsize: (p, v) => {
    const s = v.trim().toLowerCase();
    if (s === "max") {
      p.listen_qsize = "max";
      return true;
    }
    if (!/^\d+$/.test(s) || Number(s) > 0x7fffffff) return false;
    // 0 meant "the default" in the original; keep it that way
    p.listen_qsize = Number(s) === 0 ? null : Number(s);
    return true;
  },
  nonblocking: parsed("nonblocking", parseBool),
};

/** Names of every socket property (the docs' table must list each: test/build/properties-doc.test.ts). */
export const SOCKET_PROPERTY_NAMES = Object.keys(setters);

/** Set one property; `value` null means unset (back to the default). */
export function setSocketProp(p: SocketProps, prop: string, value: string | null): SetResult {
  return applyProp(setters, defaultSocketProps, p, prop, value);
}

/** What to bind, once the properties are complete and consistent. */
export type BindTarget =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "unix"; path: string };

/**
 * The bind target the properties describe, or the reason there is none.
 * `lookupService` resolves a /etc/services name to a TCP port.
 */
export function bindTarget(p: SocketProps, lookupService: (name: string) => number | undefined): BindTarget | string {
  if (p.host === null || p.service === null) return "host and service must both be set";
  if (p.host === "unix/") {
    if (!p.service.startsWith("/")) return `unix socket path must be absolute: '${p.service}'`;
    return { kind: "unix", path: p.service };
  }
  if (/^\d+$/.test(p.service)) return { kind: "tcp", host: p.host, port: Number(p.service) };
  if (p.service.includes("/")) return `'${p.service}' is a path, but host is not unix/`;
  const port = lookupService(p.service);
  if (port === undefined) return `unknown service '${p.service}'`;
  return { kind: "tcp", host: p.host, port };
}

/** The declared address, as shown while the socket is unbound. */
export function declaredAddress(p: SocketProps): string {
  if (p.host === "unix/") return `unix:${p.service ?? ""}`;
  const h = p.host ?? "";
  return `${h.includes(":") ? `[${h}]` : h}:${p.service ?? ""}`;
}

/** Parse /etc/services text: the TCP port of `name` (or one of its aliases). */
export function servicePort(etcServices: string, name: string): number | undefined {
  for (const raw of etcServices.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const [svc, portProto, ...aliases] = line.split(/\s+/);
    const m = /^(\d+)\/tcp$/.exec(portProto ?? "");
    if (m && (svc === name || aliases.includes(name))) return Number(m[1]);
  }
  return undefined;
}
