/** An in-memory Io for running cfkctl in-process: captures what it prints. */
import { writeFileAtomic, type Io } from "../../src/cli/io.ts";
import { runCli } from "../../src/cli/run.ts";

export type FakeIo = Io & {
  stdout: string[];
  stderr: string[];
  /** fire Ctrl-C */
  interrupt(): void;
};

export function fakeIo(opts: { env?: Record<string, string>; cwd?: string; stdin?: string; colour?: boolean; nowMs?: number } = {}): FakeIo {
  const handlers = new Set<() => void>();
  const io: FakeIo = {
    stdout: [],
    stderr: [],
    out: (t) => void io.stdout.push(...t.split("\n")),
    err: (t) => void io.stderr.push(...t.split("\n")),
    colour: async () => opts.colour ?? false,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    now: () => opts.nowMs ?? Date.now(),
    utcOffset: async () => () => 0,
    readFile: (p) => Bun.file(p).text(),
    readStdin: async () => opts.stdin ?? "",
    writeFile: writeFileAtomic,
    onInterrupt(cb) {
      handlers.add(cb);
      return () => void handlers.delete(cb);
    },
    interrupt: () => handlers.forEach((h) => h()),
  };
  return io;
}

/** Run cfkctl in-process; returns the exit code and what it printed. */
export async function cfkctl(argv: string[], io: FakeIo = fakeIo()): Promise<{ code: number; out: string[]; err: string[] }> {
  const code = await runCli(argv, { io, home: "/nonexistent-home" });
  return { code, out: io.stdout, err: io.stderr };
}
