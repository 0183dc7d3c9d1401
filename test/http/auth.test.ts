/**
 * Issue 18 acceptance 1, token rules: a non-loopback HTTP face needs
 * --auth-token-file; then every request carries the token (Bearer, or Basic
 * with the token as password), except /live and /ready with
 * --http-open-probes; a missing or wrong token is 401 without detail. And
 * the unix-socket face, which needs none.
 */
import { expect, test } from "bun:test";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, CFKD, DaemonProcess, freePort, tempDir, waitFor } from "../harness.ts";

function tokenFile(dir: string): string {
  const tf = join(dir, "token");
  writeFileSync(tf, "s3cret\n", { mode: 0o600 });
  return tf;
}

test("a non-loopback HTTP address without a token is refused at start", () => {
  using dir = tempDir();
  const r = Bun.spawnSync([BUN, CFKD, "--home", join(dir.path, "h"), "--http", "0.0.0.0:9"], { stderr: "pipe" });
  expect(r.exitCode).toBe(1);
  expect(r.stderr.toString()).toContain("refusing to serve HTTP on 0.0.0.0:9, which is not loopback, without --auth-token-file");
});

test("off loopback every request needs the token; --http-open-probes opens /live and /ready only", async () => {
  using dir = tempDir();
  const port = await freePort();
  await using d = await DaemonProcess.start({ args: ["--http", `0.0.0.0:${port}`, "--auth-token-file", tokenFile(dir.path), "--http-open-probes"] });
  const base = `http://127.0.0.1:${port}`;
  const get = (path: string, auth?: string) => fetch(base + path, auth === undefined ? {} : { headers: { authorization: auth } });
  await waitFor(async () => (await get("/live").catch(() => null))?.status === 200, "the HTTP face");

  for (const path of ["/", "/metrics", "/api/status", "/events", "/nope"]) {
    const none = await get(path);
    expect(none.status).toBe(401);
    expect(await none.text()).toBe("");
    expect((await get(path, "Bearer wrong")).status).toBe(401);
    expect((await get(path, "Bearer s3cret ")).status).not.toBe(401); // surrounding blanks are not part of it
  }
  expect((await get("/metrics", "Bearer s3cretX")).status).toBe(401);
  expect((await get("/metrics", "Token s3cret")).status).toBe(401);
  expect((await get("/metrics", "Bearer s3cret")).status).toBe(200);
  expect((await get("/nope", "Bearer s3cret")).status).toBe(404); // 404 only once authorised: no path is revealed before
  // a browser: Basic with the token as password
  expect((await get("/", "Basic " + btoa("me:s3cret"))).status).toBe(200);
  expect((await get("/", "Basic " + btoa("me:wrong"))).status).toBe(401);
  expect((await get("/")).headers.get("www-authenticate")).toStartWith("Basic");
  // the probes are open, and any Host is fine off loopback (the token is the guard)
  expect((await get("/live")).status).toBe(200);
  expect((await get("/ready")).status).toBe(200);
  expect((await fetch(base + "/ready", { headers: { host: "pod.example:80" } })).status).toBe(200);
});

test("without --http-open-probes the probes need the token too", async () => {
  using dir = tempDir();
  const port = await freePort();
  await using d = await DaemonProcess.start({ args: ["--http", `0.0.0.0:${port}`, "--auth-token-file", tokenFile(dir.path)] });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(base + "/live").catch(() => null))?.status === 401, "the HTTP face");
  expect((await fetch(base + "/ready")).status).toBe(401);
  expect((await fetch(base + "/ready", { headers: { authorization: "Bearer s3cret" } })).status).toBe(200);
});

test("on a unix socket: mode 0600, no token needed, any Host", async () => {
  using dir = tempDir();
  const path = join(dir.path, "http.sock");
  await using d = await DaemonProcess.start({ args: ["--http", `unix:${path}`, "--auth-token-file", tokenFile(dir.path)] });
  const r = await waitFor(() => fetch("http://anything/live", { unix: path }).catch(() => null), "the HTTP face on its socket");
  expect(r.status).toBe(200);
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect((await fetch("http://anything/metrics", { unix: path })).status).toBe(200);
});
