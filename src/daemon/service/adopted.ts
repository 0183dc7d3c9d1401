/**
 * [ext] The driver of a process that a crashed cfkd left running and this
 * cfkd adopted (docs/crash-survival.md). It is not cfkd's child: no exit
 * event, no exit status, no pipes. So it is watched (its pid and start time
 * polled in /proc), and every signal is sent only after checking that the
 * pid still names the same process — a pid reused by an unrelated process
 * is never signalled; finding it reused means the adopted one is gone.
 */
import type { Driver } from "./driver.ts";
import type { Service } from "./service.ts";
import type { Clock } from "../os/clock.ts";
import { sameProcess } from "../os/procfs.ts";
import type { Signals } from "../os/signals.ts";

/** How often an adopted process is looked for (its end is noticed within this). */
export const WATCH_MS = 1000;

export type Adoption = { readonly ticks: string; readonly groupLeader: boolean };

/** Signal the adopted process if it is still itself; false (and nothing sent) if it is gone. */
export function signalAdopted(pid: number, a: Adoption, signal: number, signals: Signals): boolean {
  if (!sameProcess(pid, a.ticks)) return false;
  // the leader is alive, so its group id cannot have been reused either
  signals.process(pid, signal, a.groupLeader);
  return true;
}

export function adoptedDriver(a: Adoption, signals: Signals): Driver {
  return {
    start: () => "an adopted process cannot be started again",
    stop(svc: Service, pid: number | null, signal: number) {
      if (pid !== null && !signalAdopted(pid, a, signal, signals)) svc.dispatch({ kind: "vanished", pid });
    },
  };
}

/** Poll until the process is gone, then tell the service; returns the cancel. */
export function watchAdopted(svc: Service, pid: number, a: Adoption, clock: Clock): () => void {
  let cancel = () => {};
  const poll = () => {
    if (svc.pid !== pid) return;
    if (!sameProcess(pid, a.ticks)) return void svc.dispatch({ kind: "vanished", pid });
    cancel = clock.after(WATCH_MS, poll);
  };
  cancel = clock.after(WATCH_MS, poll);
  return () => cancel();
}
