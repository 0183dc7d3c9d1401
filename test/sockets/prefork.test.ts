/**
 * Issue 5 acceptance 1-3: four prefork workers on one socket the daemon
 * owns, with `tie_stdin_to` (fd 0) and with `listen_fds` (fd 3, systemd
 * style); the kernel spreads the requests; the daemon never accepts; a
 * rolling restart loses no request.
 */
import { describe, expect, test } from "bun:test";
import { DaemonProcess, waitFor } from "../harness.ts";
import { httpGet, parseAnswer, socketInodes, tcpEntries, TCP_LISTEN, workerCmd, RequestError } from "./http.ts";

const WORKERS = ["w1", "w2", "w3", "w4"];
type Mode = "tie_stdin_to" | "listen_fds";

/** Socket `web` on 127.0.0.1:0, four workers tagged `web`, all running; returns the port. */
async function prefork(d: DaemonProcess, mode: Mode): Promise<number> {
  await using c = await d.client();
  await c.ok("socket web host=127.0.0.1");
  await c.ok("socket web service=0");
  await c.ok("command bind web");
  for (const w of WORKERS) {
    await c.ok(`service ${w} cmd=${workerCmd()}`);
    await c.ok(`service ${w} ${mode}=web`);
    await c.ok(`service ${w} tags=web`);
    await c.ok(`service ${w} startwait_secs=0.2`);
  }
  expect(await c.ok("command start tag web")).toEqual(["done 4"]);
  const line = (await c.ok("command sockets web"))[0]!;
  expect(line).toMatch(/^web\t127\.0\.0\.1:\d+\tbound\tw1,w2,w3,w4$/);
  await waitFor(async () => {
    const st = await c.ok("command status tag web");
    return st.every((l) => l.split("\t")[1] === "running");
  }, "four running workers");
  return Number(/:(\d+)\t/.exec(line)![1]);
}

async function pidOf(d: DaemonProcess, name: string): Promise<number> {
  return Number((await d.status(name))[2]);
}

/** Send requests until every current worker pid has answered one. */
async function untilAllAnswer(d: DaemonProcess, port: number): Promise<void> {
  const pids = new Set(await Promise.all(WORKERS.map((w) => pidOf(d, w))));
  const seen = new Set<number>();
  await waitFor(async () => {
    seen.add(parseAnswer(await httpGet({ hostname: "127.0.0.1", port })).pid);
    return [...pids].every((p) => seen.has(p));
  }, "an answer from every worker", 10000, 0);
}

describe.each(["tie_stdin_to", "listen_fds"] as const)("%s", (mode) => {
  test("400 requests are all answered, spread over the four workers; the daemon accepts none", async () => {
    await using d = await DaemonProcess.start();
    const port = await prefork(d, mode);
    await untilAllAnswer(d, port);
    const pids = new Map<number, string>();
    for (const w of WORKERS) pids.set(await pidOf(d, w), w);

    // 400 requests, four at a time, as a client with a small pool would
    const served = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const batch = await Promise.all([1, 2, 3, 4].map(() => httpGet({ hostname: "127.0.0.1", port })));
      for (const a of batch.map(parseAnswer)) {
        expect(pids.get(a.pid)).toBe(a.name); // answered by the worker cfkd reports
        if (mode === "listen_fds") expect(a.listenPid).toBe(String(a.pid)); // LISTEN_PID = the server's own pid
        served.set(a.name, (served.get(a.name) ?? 0) + 1);
      }
    }
    expect([...served.values()].reduce((x, y) => x + y, 0)).toBe(400);
    expect([...served.keys()].sort()).toEqual(WORKERS);
    console.log(`${mode}: requests served per worker`, JSON.stringify(Object.fromEntries([...served].sort())));

    // An idle connection, held open: a worker accepts it, not the daemon.
    const idle = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    try {
      // Accepted by someone: an open server-side socket (inode ≠ 0; one
      // still in the backlog, or closed, has none).
      const accepted = await waitFor(() => {
        const conns = tcpEntries(port).filter((e) => e.state !== TCP_LISTEN && e.inode !== "0");
        return conns.length > 0 ? conns : null;
      }, "the idle connection to be accepted");
      const daemonSocks = socketInodes(d.pid);
      const workerSocks = new Set<string>();
      for (const pid of pids.keys()) for (const i of socketInodes(pid)) workerSocks.add(i);
      const listener = tcpEntries(port).filter((e) => e.state === TCP_LISTEN);
      expect(listener).toHaveLength(1);
      expect(daemonSocks.has(listener[0]!.inode)).toBe(true); // the daemon holds the listener…
      for (const c of accepted) {
        expect(daemonSocks.has(c.inode)).toBe(false); // …but no accepted connection
        expect(workerSocks.has(c.inode)).toBe(true);
      }
    } finally {
      idle.end();
    }
  }, 20000);

  test("restarting the workers one by one under load loses no request", async () => {
    await using d = await DaemonProcess.start();
    const port = await prefork(d, mode);
    await untilAllAnswer(d, port);

    let stop = false;
    let answered = 0;
    const errors: string[] = [];
    const answeredBy = new Set<number>();
    const client = async () => {
      while (!stop) {
        try {
          const a = parseAnswer(await httpGet({ hostname: "127.0.0.1", port }));
          if (mode === "listen_fds" && a.listenPid !== String(a.pid)) errors.push(`LISTEN_PID ${a.listenPid} != ${a.pid}`);
          answeredBy.add(a.pid);
          answered++;
        } catch (e) {
          errors.push((e as RequestError).code ?? String(e));
        }
      }
    };
    const clients = [client(), client()];
    try {
      for (const w of WORKERS) {
        const old = await pidOf(d, w);
        const before = answered;
        expect(await d.ok(`command restart service ${w}`)).toEqual(["done 1"]);
        await waitFor(async () => {
          const s = await d.status(w);
          return s[1] === "running" && Number(s[2]) !== old;
        }, `${w} running again`);
        await waitFor(() => answered > before + 20, "requests flowing during the restart");
      }
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    expect(errors).toEqual([]); // no refused, reset or unanswered connection
    expect(answered).toBeGreaterThan(100);
    // the new workers served too
    await untilAllAnswer(d, port);
  }, 20000);
});
