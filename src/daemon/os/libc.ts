/**
 * The one module that calls into libc through bun:ffi, for what Bun has no
 * API for. Loaded lazily: a daemon that never needs it never opens libc.
 * Platform constants live here too (Linux and macOS).
 */
import { dlopen, FFIType, suffix } from "bun:ffi";

const isMac = process.platform === "darwin";

/** Platform constants. */
export const C = {
  PRIO_PROCESS: 0,
} as const;

function libcPath(): string {
  if (isMac) return `libc.${suffix}`;
  return "libc.so.6";
}

let lib: ReturnType<typeof open> | null = null;

function open() {
  return dlopen(libcPath(), {
    setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  });
}

function libc() {
  lib ??= open();
  return lib.symbols;
}

/** setpriority(PRIO_PROCESS, pid, prio); returns an error text or null. */
export function setPriority(pid: number, prio: number): string | null {
  const r = libc().setpriority(C.PRIO_PROCESS, pid, prio);
  return r === 0 ? null : `setpriority(${pid}, ${prio}) failed`;
}
