/**
 * User and group names to ids, from /etc/passwd and /etc/group (enough for
 * the `user`/`group` service properties; numeric ids need no lookup).
 */
import { readFileSync } from "node:fs";

type Entry = { name: string; id: number; gid: number };

function table(file: string): Entry[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => l.split(":"))
      .map((f) => ({ name: f[0]!, id: Number(f[2]), gid: Number(f[3]) }));
  } catch {
    return [];
  }
}

/** uid and primary gid of a user name or number; undefined if unknown. */
export function lookupUser(u: string): { uid: number; gid: number } | undefined {
  const e = table("/etc/passwd").find((x) => x.name === u || (/^\d+$/.test(u) && x.id === Number(u)));
  if (e) return { uid: e.id, gid: e.gid };
  if (/^\d+$/.test(u)) return { uid: Number(u), gid: Number(u) };
  return undefined;
}

/** gid of a group name or number; undefined if unknown. */
export function lookupGroup(g: string): number | undefined {
  if (/^\d+$/.test(g)) return Number(g);
  return table("/etc/group").find((x) => x.name === g)?.id;
}
