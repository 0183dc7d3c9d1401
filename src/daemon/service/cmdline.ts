/**
 * From a service's `cmd` to the argv that is exec'd (SPEC §3.2): a JSON
 * array as it is; a string with shell syntax under `/bin/sh -c`; any other
 * string split on whitespace, so the pid we report is the real program's.
 */
import type { Cmd } from "./props.ts";

// SPEC's list, plus `\` (quoting), which changes meaning in sh too.
// A leading `NAME=value` word is shell syntax as well (an assignment).
const SHELL_CHARS = /[$&*(){}[\]'";|?<>~`!\\\n]/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

export function needsShell(cmd: string): boolean {
  return SHELL_CHARS.test(cmd) || ASSIGNMENT.test(cmd.trim());
}

export function toArgv(cmd: Cmd): string[] {
  if (Array.isArray(cmd)) return cmd;
  if (needsShell(cmd)) return ["/bin/sh", "-c", cmd];
  return cmd.trim().split(/\s+/);
}
