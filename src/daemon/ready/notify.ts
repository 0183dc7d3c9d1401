/**
 * sd_notify for services with `ready=notify`: one unix datagram socket per
 * running process at `$CFKD_HOME/notify/NAME`, passed as NOTIFY_SOCKET.
 * Messages are `KEY=VALUE` lines (systemd's sd_notify(3)); only those sent
 * by the service's own processes count: the sender's pid (SCM_CREDENTIALS)
 * must be the service's pid, or a process of its session, group or a child.
 * One watcher thread serves every socket (os/libc.ts), started with the
 * first notify service.
 */
import { mkdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import * as libc from "../os/libc.ts";

/** What a notify message may say (unknown keys are ignored, as systemd does). */
export type NotifyMessage = {
  ready?: true;
  status?: string;
  stopping?: true;
  reloading?: true;
  mainPid?: number;
  watchdog?: "ping" | "trigger";
  watchdogUsec?: number;
};

/** Parse one datagram; garbage gives an empty message, never an error. */
export function parseNotify(text: string): NotifyMessage {
  const m: NotifyMessage = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    if (k === "READY" && v === "1") m.ready = true;
    else if (k === "STATUS") m.status = v.slice(0, 200).replace(/[\t\r\n\0]+/g, " ");
    else if (k === "STOPPING" && v === "1") m.stopping = true;
    else if (k === "RELOADING" && v === "1") m.reloading = true;
    else if (k === "MAINPID" && /^\d{1,10}$/.test(v) && Number(v) > 0) m.mainPid = Number(v);
    else if (k === "WATCHDOG" && (v === "1" || v === "trigger")) m.watchdog = v === "1" ? "ping" : "trigger";
    else if (k === "WATCHDOG_USEC" && /^\d{1,15}$/.test(v) && Number(v) > 0) m.watchdogUsec = Number(v);
  }
  return m;
}

/** Did a process of the service with main pid `pid` send it? */
export function fromService(d: libc.CredDatagram, pid: number | null): boolean {
  if (pid === null || d.pid <= 0) return false;
  return d.pid === pid || d.sid === pid || d.pgrp === pid || d.ppid === pid;
}

export type NotifyHandler = (d: libc.CredDatagram) => void;

/** A bound notify socket; `close` removes it. */
export type NotifySocket = { readonly path: string; close(): void };

export class NotifyHub {
  private watcher: libc.DatagramWatcher | null = null;
  private handlers = new Map<number, NotifyHandler>();

  constructor(private readonly dir: string) {}

  /** Bind a socket for `name`; a string is why it cannot be. */
  open(name: string, onMessage: NotifyHandler): NotifySocket | string {
    if (!libc.hasCredDatagrams) return "ready=notify needs Linux";
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    } catch (e) {
      return `cannot create ${this.dir}: ${(e as Error).message}`;
    }
    const path = join(this.dir, name);
    removeQuietly(path);
    const fd = libc.bindCredDatagram(path);
    if (typeof fd !== "number") return `cannot bind the notify socket ${path}: ${fd.message}`;
    this.watcher ??= libc.watchCredDatagrams((d) => this.handlers.get(d.fd)?.(d));
    this.handlers.set(fd, onMessage);
    this.watcher.add(fd);
    return {
      path,
      close: () => {
        if (!this.handlers.delete(fd)) return;
        this.watcher!.close(fd);
        removeQuietly(path);
      },
    };
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* not there */
  }
}
