/**
 * User and group names to ids, from /etc/passwd and /etc/group (enough for
 * the `user`/`group` service properties; numeric ids need no lookup), and a
 * user's supplementary groups as initgroups(3) computes them.
 */
import { readFileSync } from "node:fs";

type Entry = { name: string; id: number; gid: number; fields: string[] };

function table(file: string): Entry[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => l.split(":"))
      .map((f) => ({ name: f[0]!, id: Number(f[2]), gid: Number(f[3]), fields: f }));
  } catch {
    return [];
  }
}

export type User = { uid: number; gid: number; name?: string; home?: string };

/** uid and primary gid (name and home when in passwd) of a user name or number; undefined if unknown. */
export function lookupUser(u: string): User | undefined {
  const e = table("/etc/passwd").find((x) => x.name === u || (/^\d+$/.test(u) && x.id === Number(u)));
  if (e) return { uid: e.id, gid: e.gid, name: e.name, home: e.fields[5] };
  if (/^\d+$/.test(u)) return { uid: Number(u), gid: Number(u) };
  return undefined;
}

/** gid of a group name or number; undefined if unknown. */
export function lookupGroup(g: string): number | undefined {
  if (/^\d+$/.test(g)) return Number(g);
  return table("/etc/group").find((x) => x.name === g)?.id;
}

/**
 * initgroups(user, gid): gid, then every group of /etc/group that lists
 * the user as a member, without repeats.
 */
export function supplementaryGroups(user: string | undefined, gid: number): number[] {
  const out = [gid];
  if (user === undefined) return out;
  for (const g of table("/etc/group")) {
    const members = (g.fields[3] ?? "").split(",");
    if (members.includes(user) && !out.includes(g.id)) out.push(g.id);
  }
  return out;
}
