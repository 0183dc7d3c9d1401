/**
 * The wire form of `command events` [ext], both ways: one line per service
 * state change, `TIME<TAB>NAME<TAB>FROM<TAB>TO<TAB>PID<TAB>REASON`, TIME in
 * UTC with milliseconds (`2026-12-02T13:37:19.123Z`), PID empty when there
 * is none. A reader that could not keep up is told how many it missed with
 * a line whose NAME is `-` (never a service name):
 * `TIME<TAB>-<TAB><TAB><TAB><TAB>N events missed: this client reads too slowly`.
 */
export type EventRecord = {
  /** epoch milliseconds */
  at: number;
  name: string;
  from: string;
  to: string;
  pid: number | null;
  reason: string;
};

export type EventLine = ({ kind: "change" } & EventRecord) | { kind: "missed"; at: number; count: number };

const CONTROL = /[\t\r\n]+/g;
const clean = (s: string) => s.replace(CONTROL, " ");

export function eventToWire(e: EventRecord): string {
  return [new Date(e.at).toISOString(), e.name, e.from, e.to, e.pid === null ? "" : String(e.pid), clean(e.reason)].join("\t");
}

export function missedToWire(count: number, at: number): string {
  return `${new Date(at).toISOString()}\t-\t\t\t\t${count} event${count === 1 ? "" : "s"} missed: this client reads too slowly`;
}

/** Parse one events line; null when it is not one. */
export function eventFromWire(line: string): EventLine | null {
  const f = line.split("\t");
  if (f.length < 6) return null;
  const at = Date.parse(f[0]!);
  if (!Number.isFinite(at)) return null;
  if (f[1] === "-") {
    const count = parseInt(f.slice(5).join("\t"), 10);
    return Number.isFinite(count) ? { kind: "missed", at, count } : null;
  }
  return { kind: "change", at, name: f[1]!, from: f[2]!, to: f[3]!, pid: f[4] === "" ? null : Number(f[4]), reason: f.slice(5).join("\t") };
}
