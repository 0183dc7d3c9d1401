/**
 * `command tail` body lines (SPEC §3.5), both ways: `name<TAB>out|err<TAB>text`.
 * The daemon's tail ring builds them, cfkctl parses them.
 */

/** One captured line of a service (`stream`: out or err). */
export type TailRecord = { name: string; stream: string; line: string };

/** The wire form; `text` keeps its own tabs (it is the rest of the line). */
export function tailToWire(name: string, stream: string, text: string): string {
  return `${name}\t${stream}\t${text}`;
}

/** The line a slow follower gets in place of what it missed (`-` is never a service name). */
export function droppedToWire(n: number): string {
  return tailToWire("-", "err", `${n} line${n === 1 ? "" : "s"} dropped: this client reads too slowly`);
}

/** Parse a tail line; a line without two tabs is text of an unnamed service. */
export function tailFromWire(wire: string): TailRecord {
  const a = wire.indexOf("\t");
  const b = a < 0 ? -1 : wire.indexOf("\t", a + 1);
  if (a < 0 || b < 0) return { name: "", stream: "out", line: wire };
  return { name: wire.slice(0, a), stream: wire.slice(a + 1, b), line: wire.slice(b + 1) };
}
