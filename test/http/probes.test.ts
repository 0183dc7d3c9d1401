/**
 * Issue 18 acceptance 1, over real HTTP against a real cfkd: /live, /ready
 * following a service that is killed and comes back, `?svc=` selections,
 * /api/status against `cfkctl --json status`, and the refusals (404, 405,
 * foreign Host, foreign Origin, oversized headers).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cfkctl } from "../cli/fake-io.ts";
import { waitFor } from "../harness.ts";
import { declare, httpDaemon, runningPid, type HttpDaemon } from "./helpers.ts";

let h: HttpDaemon;

beforeAll(async () => {
  h = await httpDaemon();
  await declare(h.d, {
    a: ["cmd=sleep 1000", "tags=web", "startwait_secs=2"],
    b: ["cmd=sleep 1000", "tags=web"],
    c: ["cmd=sleep 1000", "tags=db"],
    idle: ["cmd=sleep 1000"],
  });
  await h.d.ok("command start service a");
  await h.d.ok("command start service b");
  await h.d.ok("command start service c");
  for (const s of ["a", "b", "c"]) await runningPid(h.d, s);
});
afterAll(() => h?.[Symbol.asyncDispose]());

const get = (path: string, init?: RequestInit) => fetch(`${h.base}${path}`, init);
const body = async (r: Response): Promise<any> => r.json();

/** One raw request on a fresh connection; the status code of the answer. */
async function rawStatus(request: string): Promise<number> {
  let text = "";
  const { promise, resolve } = Promise.withResolvers<void>();
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port: h.port,
    socket: {
      data(_s, d) {
        text += d.toString();
        if (text.includes("\r\n")) resolve();
      },
      close: () => resolve(),
    },
  });
  s.write(request);
  await promise;
  s.end();
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
}

test("/live answers 200 while the daemon's loop runs", async () => {
  const r = await get("/live");
  expect(r.status).toBe(200);
  expect(await r.text()).toBe("ok\n");
});

test("/ready: 200, 503 while a killed service comes back (with its state and reason), 200 again; ?svc= selects", async () => {
  const r0 = await get("/ready");
  expect(r0.status).toBe(200);
  const body0 = await body(r0);
  // a stopped service (never started) is not meant to be up: not counted
  expect(body0.services.map((s: { name: string }) => s.name)).toEqual(["a", "b", "c"]);

  const pid = await runningPid(h.d, "a");
  process.kill(pid, "SIGKILL");
  const down = await waitFor(async () => {
    const r = await get("/ready");
    return r.status === 503 && body(r);
  }, "/ready to say 503");
  const a = down.services.find((s: { name: string }) => s.name === "a");
  expect(a.ready).toBe(false);
  expect(["fail", "starting", "backoff"]).toContain(a.state);
  // while a is back in startwait (2 s), the tags tell web from db
  expect((await get("/ready?svc=@db")).status).toBe(200);
  const web = await get("/ready?svc=@web");
  expect(web.status).toBe(503);
  expect((await body(web)).services.map((s: { name: string }) => s.name)).toEqual(["a", "b"]);
  expect((await get("/ready?svc=b,c")).status).toBe(200);
  expect((await get("/ready?svc=b&svc=a")).status).toBe(503);

  await waitFor(async () => (await get("/ready")).status === 200, "/ready to say 200 again", 8000);
  expect((await get("/ready?svc=@web")).status).toBe(200);
});

test("/ready: a service named explicitly must be up; all counts every service; unknown names are 404", async () => {
  const idle = await get("/ready?svc=idle");
  expect(idle.status).toBe(503);
  expect((await body(idle)).services).toEqual([{ name: "idle", state: "stopped", ready: false, reason: "stopped" }]);
  expect((await get("/ready?svc=all")).status).toBe(503);
  const unknown = await get("/ready?svc=nosuch");
  expect(unknown.status).toBe(404);
  expect(await body(unknown)).toEqual({ error: "unknown service 'nosuch'" });
  expect((await get("/ready?svc=@nosuchtag")).status).toBe(404);
});

test("/api/status is the record cfkctl --json status prints", async () => {
  const r = await get("/api/status");
  expect(r.headers.get("content-type")).toStartWith("application/json");
  const viaHttp = await body(r);
  const cli = await cfkctl(["--address", h.d.sock, "--json", "status"]);
  expect(cli.code).toBe(0);
  // the same services and fields; pids and times may move between the two reads only if a service changed
  expect(viaHttp).toEqual(JSON.parse(cli.out.join("\n")));
  expect((await body(await get("/api/status?svc=@db"))).map((s: { name: string }) => s.name)).toEqual(["c"]);
});

test("unknown paths 404, wrong methods 405, both without detail", async () => {
  const nf = await get("/nope");
  expect(nf.status).toBe(404);
  expect(await nf.text()).toBe("");
  const post = await get("/live", { method: "POST" });
  expect(post.status).toBe(405);
  expect(post.headers.get("allow")).toBe("GET, HEAD");
  expect((await get("/metrics", { method: "DELETE" })).status).toBe(405);
});

test("a foreign Host is refused with 421 (DNS rebinding); loopback names with our port pass", async () => {
  expect(await rawStatus(`GET /live HTTP/1.1\r\nHost: evil.example:${h.port}\r\n\r\n`)).toBe(421);
  expect(await rawStatus(`GET /api/status HTTP/1.1\r\nHost: evil.example\r\n\r\n`)).toBe(421);
  expect(await rawStatus(`GET /live HTTP/1.1\r\nHost: 127.0.0.1:${h.port + 1}\r\n\r\n`)).toBe(421);
  expect(await rawStatus(`GET /live HTTP/1.1\r\n\r\n`)).toBe(400); // Bun's own refusal: HTTP/1.1 requires Host
  expect(await rawStatus(`GET /live HTTP/1.0\r\n\r\n`)).toBe(421);
  expect(await rawStatus(`GET /live HTTP/1.1\r\nHost: localhost:${h.port}\r\n\r\n`)).toBe(200);
  expect(await rawStatus(`GET /live HTTP/1.1\r\nHost: [::1]:${h.port}\r\n\r\n`)).toBe(200);
});

test("a foreign Origin on a non-GET is refused with 403; our own gets 405 (read-only)", async () => {
  const host = `127.0.0.1:${h.port}`;
  expect(await rawStatus(`POST /ready HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://evil.example\r\nContent-Length: 0\r\n\r\n`)).toBe(403);
  expect(await rawStatus(`POST /ready HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\nContent-Length: 0\r\n\r\n`)).toBe(405);
});

test("huge headers are refused, and the daemon keeps answering", async () => {
  expect(await rawStatus(`GET /live HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nX-Big: ${"a".repeat(100_000)}\r\n\r\n`)).toBe(431);
  expect((await get("/live")).status).toBe(200);
  expect(await h.d.ok("command version")).toHaveLength(1);
});

test("/events: a snapshot first, a change pushed on a state change; a client that leaves is forgotten", async () => {
  const metric = async () => Number(/^cfkd_http_event_streams (\d+)$/m.exec(await (await get("/metrics")).text())![1]);
  const ac = new AbortController();
  const r = await get("/events", { signal: ac.signal });
  expect(r.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const reader = r.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  const until = async (what: string) => {
    while (!text.includes(what)) text += dec.decode((await reader.read()).value);
  };
  await until("\n\n");
  expect(text).toStartWith("event: snapshot\ndata: {");
  expect(await metric()).toBe(1);
  await h.d.ok("command start service idle");
  await until('"name":"idle","state":"running"');
  expect(text).toContain("event: change\n");
  ac.abort();
  await waitFor(async () => (await metric()) === 0, "the stream to be forgotten");
  await h.d.ok("command stop service idle");
});
