/**
 * cfkd run the way a container runs it: PID 1 of a fresh PID namespace
 * (`unshare --pid --fork --mount-proc`, needs root), or as a plain process
 * with container flags. Output (stdout, stderr) is collected; `exited`
 * gives the exit code.
 */
import { join } from "node:path";
import { BUN, CFKD, Client, tempDir, waitFor } from "../harness.ts";
import { childrenOf, procStat } from "../harness.ts";
import { existsSync } from "node:fs";

export const canUnshare = process.getuid?.() === 0 && Bun.which("unshare") !== null;

export class Cfkd implements AsyncDisposable {
  stdout = "";
  stderr = "";
  readonly proc: ReturnType<typeof Bun.spawn>;
  readonly sock: string;

  private constructor(
    readonly home: string,
    private dir: { path: string } & Disposable,
    args: string[],
    private readonly pidNamespace: boolean,
  ) {
    this.sock = join(home, "sock");
    const cmd = [BUN, CFKD, "--home", home, ...args];
    this.proc = Bun.spawn(pidNamespace ? ["unshare", "--pid", "--fork", "--mount-proc", ...cmd] : cmd, { stdio: ["ignore", "pipe", "pipe"] });
    const collect = async (s: ReadableStream<Uint8Array>, k: "stdout" | "stderr") => {
      const dec = new TextDecoder();
      for await (const chunk of s) this[k] += dec.decode(chunk, { stream: true });
    };
    void collect(this.proc.stdout as ReadableStream<Uint8Array>, "stdout");
    void collect(this.proc.stderr as ReadableStream<Uint8Array>, "stderr");
  }

  /** Start cfkd with a config file written from `conf`, wait for its console. */
  static async start(conf: string, o: { args?: string[]; pidNamespace?: boolean } = {}): Promise<Cfkd> {
    const dir = tempDir("cfkd-ctr-");
    const confFile = join(dir.path, "services.conf");
    await Bun.write(confFile, conf);
    const d = new Cfkd(join(dir.path, "home"), dir, ["-c", confFile, ...(o.args ?? [])], o.pidNamespace ?? false);
    try {
      await waitFor(async () => {
        if (d.proc.exitCode !== null) throw new Error(`cfkd exited ${d.proc.exitCode}: ${d.stderr}`);
        if (!existsSync(d.sock)) return false;
        const c = await Client.connect(d.sock).catch(() => null);
        if (!c) return false;
        await c[Symbol.asyncDispose]();
        return true;
      }, "cfkd to accept connections", 10000);
    } catch (e) {
      await d[Symbol.asyncDispose]();
      throw e;
    }
    return d;
  }

  get tmp(): string {
    return this.dir.path;
  }

  /** cfkd's own pid as this (the parent) namespace sees it */
  get cfkdPid(): number {
    return this.pidNamespace ? (childrenOf(this.proc.pid)[0] ?? this.proc.pid) : this.proc.pid;
  }

  async ok(line: string): Promise<string[]> {
    await using c = await Client.connect(this.sock);
    return await c.ok(line);
  }

  async state(name: string): Promise<string[]> {
    return (await this.ok(`command status service ${name}`))[0]!.split("\t");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.proc.exitCode === null) {
      process.kill(this.cfkdPid, "SIGTERM");
      const t = setTimeout(() => this.proc.kill("SIGKILL"), 8000);
      await this.proc.exited;
      clearTimeout(t);
    }
    this.dir[Symbol.dispose]();
  }
}

/** Every process below pid (pid excluded), zombies included. */
export function treeOf(pid: number): number[] {
  const out: number[] = [];
  const q = [pid];
  for (let i = 0; i < q.length; i++) for (const c of childrenOf(q[i]!)) (out.push(c), q.push(c));
  return out;
}

export function zombiesBelow(pid: number): number[] {
  return treeOf(pid).filter((p) => procStat(p)?.state === "Z");
}

/** A pid a service wrote to a file, once it is there. */
export async function pidFrom(file: string): Promise<number> {
  return await waitFor(async () => {
    if (!existsSync(file)) return null;
    const n = Number((await Bun.file(file).text()).trim());
    return n > 0 ? n : null;
  }, `a pid in ${file}`);
}
