/**
 * The direct driver: cfkd spawns the service's process itself, captures its
 * output and learns its exit from the spawner.
 */
import { toArgv } from "./cmdline.ts";
import type { Driver } from "./driver.ts";
import { SIGCONT, SIGKILL } from "../os/signals.ts";
import type { ServiceWorld } from "./service.ts";
import type { Child } from "../os/spawner.ts";

export function directDriver(world: Pick<ServiceWorld, "spawner" | "signals" | "log" | "prepare">): Driver {
  return {
    start(svc) {
      const req = world.prepare(svc, toArgv(svc.props.cmd!));
      if (typeof req === "string") return req;
      let child: Child;
      try {
        child = world.spawner(req, (code, signal) => svc.dispatch({ kind: "exited", pid: child.pid, code, signal }));
      } catch (e) {
        return osReason(e);
      }
      const pid = child.pid;
      for (const w of child.warnings) world.log.event("warn", `${svc.name}: ${w}`, pid);
      if (child.stdout) void world.log.capture("service", svc.name, "out", pid, child.stdout);
      if (child.stderr) void world.log.capture("service", svc.name, "err", pid, child.stderr);
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

/** The OS's words for a failed spawn, without Bun's decorations. */
export function osReason(e: unknown): string {
  const err = e as { message?: string };
  const m = String(err?.message ?? e);
  return m.replace(/^error:\s*/i, "");
}
