/**
 * The times of `cfkctl status`: how long ago, and the local date in the
 * form of Perl's scalar localtime (`Wed Nov 11 16:16:09 2009`), as the
 * original client printed them. Local time comes from an offset function
 * (localtime.ts), so these stay pure and testable in any zone.
 */
import type { UtcOffset } from "./localtime.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad2 = (n: number) => String(n).padStart(2, "0");
const sp2 = (n: number) => String(n).padStart(2, " ");

/** The wall clock at an instant, as a Date whose UTC fields are local. */
const wall = (epochSecs: number, offset: UtcOffset) => new Date((epochSecs + offset(epochSecs)) * 1000);

/** `Wed Nov 11 16:16:09 2009`, local time, from epoch seconds. */
export function localDate(epochSecs: number, offset: UtcOffset): string {
  const d = wall(epochSecs, offset);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${sp2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/**
 * How long ago, in the original's words and widths: `%2d seconds ago`,
 * `%2d minutes ago`, `%2d hours ago` within the last 24 hours, then
 * `yesterday` for the previous calendar day, else `%2d days ago` (calendar
 * days). A time in the future (clock skew) reads as 0 seconds ago.
 */
export function relativeTime(epochSecs: number, nowMs: number, offset: UtcOffset): string {
  const now = Math.floor(nowMs / 1000);
  const secs = Math.max(0, now - epochSecs);
  if (secs < 60) return `${sp2(secs)} seconds ago`;
  if (secs < 3600) return `${sp2(Math.floor(secs / 60))} minutes ago`;
  if (secs < 86400) return `${sp2(Math.floor(secs / 3600))} hours ago`;
  const day = (t: number) => Math.floor((t + offset(t)) / 86400);
  const days = day(now) - day(epochSecs);
  return days <= 1 ? "yesterday" : `${sp2(days)} days ago`;
}
