/**
 * A line of `command rolls` (docs/prefork.md), both ways: a roll under way
 * as id, what it does, how far it is, and its services, tab separated.
 */

export type RollRecord = {
  id: number;
  /** `restart_rolling batch=N` or `reload` */
  what: string;
  replaced: number;
  total: number;
  services: string[];
};

export function rollToWire(r: RollRecord): string {
  return [String(r.id), r.what, `${r.replaced}/${r.total} replaced`, r.services.join(",")].join("\t");
}

export function rollFromWire(line: string): RollRecord {
  const [id = "", what = "", progress = "", services = ""] = line.split("\t");
  const m = /^(\d+)\/(\d+)/.exec(progress);
  return { id: Number(id), what, replaced: Number(m?.[1] ?? 0), total: Number(m?.[2] ?? 0), services: services === "" ? [] : services.split(",") };
}
