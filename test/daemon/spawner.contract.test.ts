/**
 * The spawner/signals contract: what the daemon relies on from the process
 * seam. The real one (Bun.spawn, process.kill) and the fake the in-process
 * tests use must both pass it, so the fake cannot drift from the real thing.
 */
import { describe, expect, test } from "bun:test";
import { bunSpawner, type SpawnRequest, type Spawner } from "../../src/daemon/os/spawner.ts";
import { osSignals, SIGTERM, type Signals } from "../../src/daemon/os/signals.ts";
import { FakeSpawner } from "./fakes.ts";

type Impl = { spawner: Spawner; signals: Signals };
const fake = new FakeSpawner();
const impls: [string, Impl][] = [
  ["bunSpawner + osSignals", { spawner: bunSpawner, signals: osSignals }],
  ["FakeSpawner", { spawner: fake.spawn, signals: fake.signals }],
];

const req = (argv: string[]): SpawnRequest => ({
  argv,
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  newSession: true,
  stdin: "ignore",
  stdout: "ignore",
  stderr: "ignore",
});

/** Spawn and return the pid and the exit, which must come after spawn returned. */
function spawn(impl: Impl, argv: string[]) {
  let returned = false;
  let early = false;
  let pid = 0;
  const exit = new Promise<[number | null, number | null]>((resolve) => {
    pid = impl.spawner(req(argv), (code, signal) => {
      early ||= !returned;
      resolve([code, signal]);
    }).pid;
  });
  returned = true;
  const within = <T>(p: Promise<T>) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no exit within 5 s")), 5000))]);
  return { pid, exit: within(exit).then((r) => (expect(early).toBe(false), r)) };
}

for (const [name, impl] of impls) {
  describe(name, () => {
    test("spawns, and reports the exit code after spawn returned", async () => {
      const p = spawn(impl, ["sh", "-c", "exit 3"]);
      expect(p.pid).toBeGreaterThan(0);
      expect(await p.exit).toEqual([3, null]);
    });

    test("a signal to the group reaches the process, and the exit names the signal", async () => {
      const p = spawn(impl, ["sleep", "30"]);
      impl.signals.process(p.pid, SIGTERM, true);
      expect(await p.exit).toEqual([null, SIGTERM]);
      expect(impl.signals.send(p.pid, SIGTERM)).toBe(false); // gone
    });

    test("a missing program throws with the OS's code", () => {
      expect(() => impl.spawner(req(["/nonexistent/prog"]), () => {})).toThrow(expect.objectContaining({ code: "ENOENT" }));
    });
  });
}
