/**
 * Issue 12, defect 2 (client side): cfkctl gives up on a daemon that never
 * accepts or never answers, with exit 3 and a clear message; `tail -f`
 * waits as long as it runs.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import * as libc from "../../src/daemon/os/libc.ts";
import { tempDir, waitFor } from "../harness.ts";
import { cfkctl, fakeIo } from "./fake-io.ts";

test("a socket that listens but never accepts: exit 3 after --timeout", async () => {
  using dir = tempDir();
  const path = join(dir.path, "sock");
  const fd = libc.listenUnix(path, 16) as number; // nobody ever accepts
  try {
    const t0 = Date.now();
    const r = await cfkctl(["--address", path, "--timeout", "0.3", "status"]);
    expect(r.code).toBe(3);
    expect(r.err.join("\n")).toContain(`did not answer within 0.3 s`);
    expect(Date.now() - t0).toBeLessThan(3000);
  } finally {
    libc.close(fd);
  }
});

test("a server that accepts and never answers: exit 3; tail -f is never timed out", async () => {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const addr = ["--address", `127.0.0.1:${server.port}`, "--timeout", "0.2"];
    const r = await cfkctl([...addr, "pids"]);
    expect(r).toMatchObject({ code: 3 });
    expect(r.err.join("\n")).toContain("did not answer within 0.2 s");
    const io = fakeIo();
    let done = false;
    const follow = cfkctl([...addr, "tail", "-f", "web"], io).finally(() => (done = true));
    const t0 = Date.now();
    await waitFor(() => Date.now() - t0 > 800, "four times the timeout to pass", 2000, 50);
    expect(done).toBe(false);
    io.interrupt();
    expect((await follow).code).toBe(0);
  } finally {
    server.stop(true);
  }
});
