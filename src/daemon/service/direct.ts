/**
 * The direct driver: cfkd spawns the service's process itself, captures its
 * output and learns its exit from the spawner.
 */
import { toArgv } from "./cmdline.ts";
import type { Driver } from "./driver.ts";
import { SIGCONT, SIGKILL } from "../os/signals.ts";
import type { ServiceWorld } from "./service.ts";
import type { Child } from "../os/spawner.ts";
import type { Service } from "./service.ts";

export function directDriver(world: Pick<ServiceWorld, "spawner" | "signals" | "log" | "prepare" | "trees">): Driver {
  return {
    start(svc) {
      const req = world.prepare(svc, toArgv(svc.props.cmd!));
      if (typeof req === "string") return req;
      const notReady = svc.readiness.prepare(req);
      if (notReady !== null) return notReady;
      const cgroup = world.trees?.placement(svc.name);
      if (cgroup !== undefined) req.cgroup = cgroup;
      let child: Child;
      try {
        child = world.spawner(req, (code, signal) => svc.leaderExited(child.pid, code, signal));
      } catch (e) {
        return osReason(e);
      }
      const pid = child.pid;
      for (const w of child.warnings) world.log.event("warn", `${svc.name}: ${w}`, pid);
      svc.readiness.spawned(child);
      const watch = svc.props.ready.kind === "log";
      if (child.stdout) void world.log.capture("service", svc.name, "out", pid, watch ? watchLines(svc, child.stdout) : child.stdout);
      if (child.stderr) void world.log.capture("service", svc.name, "err", pid, watch ? watchLines(svc, child.stderr) : child.stderr);
      svc.dispatch({ kind: "spawned", pid });
      return { groupLeader: req.newSession };
    },
    stop(_svc, pid, signal, groupLeader) {
      if (pid === null) return;
      world.signals.process(pid, signal, groupLeader);
      // A stopped (SIGSTOP, Ctrl-Z) process would only see the stop signal
      // once continued, i.e. never: continue it, as systemd does, so that it
      // runs its handler now instead of being SIGKILLed after stopwait.
      if (signal !== SIGCONT && signal !== SIGKILL) world.signals.process(pid, SIGCONT, groupLeader);
    },
  };
}

/**
 * `ready=log:REGEX`: a copy of the output goes to the readiness watcher
 * until it is ready; then the copy is dropped and the log reads alone.
 */
function watchLines(svc: Service, from: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const [log, watch] = from.tee();
  void (async () => {
    const reader = watch.getReader();
    const dec = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || !svc.readiness.output(dec.decode(value, { stream: true }))) break;
      }
    } catch {
      /* the stream ended badly: the log side reports it */
    }
    void reader.cancel().catch(() => {});
  })();
  return log;
}

/** The OS's words for a failed spawn, without Bun's decorations. */
export function osReason(e: unknown): string {
  const err = e as { message?: string };
  const m = String(err?.message ?? e);
  return m.replace(/^error:\s*/i, "");
}
