/**
 * Helpers for the HTTP face's tests: a daemon with `--http` on a free
 * loopback port, and services declared through its console.
 */
import { DaemonProcess, freePort, waitFor } from "../harness.ts";

export type HttpDaemon = { d: DaemonProcess; base: string; port: number } & AsyncDisposable;

/** cfkd with `--http 127.0.0.1:PORT` (plus `args`); `base` is its URL, without the trailing slash. */
export async function httpDaemon(args: string[] = []): Promise<HttpDaemon> {
  const port = await freePort();
  const d = await DaemonProcess.start({ args: ["--http", `127.0.0.1:${port}`, ...args] });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(() => fetch(`${base}/live`).then((r) => r.ok), "the HTTP face to answer");
  return { d, base, port, [Symbol.asyncDispose]: () => d[Symbol.asyncDispose]() };
}

/** Declare each service (`name` → cmd, plus extra `prop=value` statements) and start them all. */
export async function declare(d: DaemonProcess, services: Record<string, string[]>): Promise<void> {
  const c = await d.client();
  try {
    for (const [name, statements] of Object.entries(services)) for (const s of statements) await c.ok(`service ${name} ${s}`);
  } finally {
    await c[Symbol.asyncDispose]();
  }
}

/** The pid of a running service, once it runs. */
export async function runningPid(d: DaemonProcess, name: string): Promise<number> {
  return Number(await waitFor(async () => {
    const f = await d.status(name);
    return f[1] === "running" && f[2];
  }, `${name} to run`));
}
