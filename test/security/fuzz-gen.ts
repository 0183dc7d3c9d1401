/** Generators of hostile console input, shared by the fuzz test and the stress script. */
import { parseRequest } from "../../src/protocol/request.ts";
const DANGEROUS = new Set(["shutdown", "start", "restart", "up"]);
const PROPS = ["cmd", "desc", "tags", "startwait_secs", "respawn_on_fail", "env", "add_env", "cwd", "umask", "stop_signal", "bogus", ""];

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generator(seed: number) {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)).filter((b) => b !== 0x0a));
  const pick = <T>(a: T[]) => a[int(a.length)]!;
  const makers: (() => Buffer)[] = [
    () => bytes(int(200)), // random bytes: NULs, invalid UTF-8, CRs
    () => Buffer.from(`service fz${int(50)} ${pick(PROPS)}=${"=".repeat(int(300))}`), // = storms
    () => Buffer.from(`service fz${int(50)} cmd=${"[".repeat(int(3000))}`), // deep JSON
    () => Buffer.from(`service fz${int(50)} env=${"{\"a\":".repeat(int(500))}1${"}".repeat(int(500))}`),
    () => Buffer.from(`service fz${int(50)} ${pick(PROPS)}=${bytes(int(60)).toString("latin1")}`),
    () => Buffer.from(`proxy ${pick(["p", "1", "-", ""])} service ${pick(["s", "", "=="])} ${pick(PROPS)}=x`),
    () => Buffer.from(`socket s${int(9)} ${pick(["host", "service", "listen_qsize", "x"])}=${bytes(20).toString("latin1")}`),
    () => Buffer.from(`command ${pick(["status", "desc", "pids", "list", "version", "stop", "down", "destroy", "tail", "bind", "x"])} ${pick(["all", "service", "tag", "service fz1", "tag t", "\0", ""])}`),
    () => Buffer.from(pick(["", "   ", "#", "exit!", "EXIT now", "\r", "\t\t", "command", "service", "auth x"])),
    () => Buffer.from("\u0000\uFFFF\uD800 ñ \u2028".repeat(int(20))),
  ];
  return (): Buffer => {
    for (;;) {
      const line = pick(makers)();
      const req = parseRequest(line.toString("utf8"));
      if (req.kind === "exit") continue; // would end the connection early
      if (req.kind === "command" && DANGEROUS.has(req.name)) continue;
      return line;
    }
  };
}

