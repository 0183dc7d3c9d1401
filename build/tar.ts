/**
 * A ustar (POSIX.1-1988) archive writer, enough for a release: directories,
 * files and hard links, owned by root, one modification time. Written here
 * rather than run through the system's tar so that a release built on
 * Linux or macOS has the same layout, and the hard link (cfkctl → cfkd)
 * is stored as a link, not as a second 100 MB copy. Pure: entries in,
 * bytes out.
 */
export type TarEntry =
  | { kind: "dir"; path: string; mode: number }
  | { kind: "file"; path: string; mode: number; data: Uint8Array }
  | { kind: "link"; path: string; target: string };

const BLOCK = 512;
/** GNU and BSD tar write whole 10 KiB records; some readers expect them. */
const RECORD = 20 * BLOCK;
const enc = new TextEncoder();

/** The archive's bytes; `mtime` in epoch seconds for every entry. */
export function tar(entries: readonly TarEntry[], mtime: number): Uint8Array<ArrayBuffer> {
  let size = 2 * BLOCK; // the end-of-archive marker
  for (const e of entries) size += BLOCK + (e.kind === "file" ? padded(e.data.length) : 0);
  const out = new Uint8Array(Math.ceil(size / RECORD) * RECORD);
  let at = 0;
  for (const e of entries) {
    out.set(header(e, mtime), at);
    at += BLOCK;
    if (e.kind === "file") {
      out.set(e.data, at);
      at += padded(e.data.length);
    }
  }
  return out;
}

function padded(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

function header(e: TarEntry, mtime: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const name = e.kind === "dir" && !e.path.endsWith("/") ? `${e.path}/` : e.path;
  text(h, 0, 100, name); // release paths are short: no need for the ustar prefix field
  octal(h, 100, 8, e.kind === "link" ? 0o644 : e.mode);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, e.kind === "file" ? e.data.length : 0);
  octal(h, 136, 12, mtime);
  h[156] = (e.kind === "file" ? "0" : e.kind === "link" ? "1" : "5").charCodeAt(0);
  if (e.kind === "link") text(h, 157, 100, e.target);
  text(h, 257, 6, "ustar");
  text(h, 263, 2, "00");
  text(h, 265, 32, "root");
  text(h, 297, 32, "root");
  // The checksum is computed with its own field as spaces.
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  octal(h, 148, 7, sum); // six digits, NUL, and the space left in place
  return h;
}

function text(h: Uint8Array, at: number, width: number, s: string): void {
  const b = enc.encode(s);
  if (b.length > width) throw new Error(`tar: '${s}' does not fit in ${width} bytes`);
  h.set(b, at);
}

/** `width - 1` zero-padded octal digits and a NUL. */
function octal(h: Uint8Array, at: number, width: number, n: number): void {
  const s = n.toString(8).padStart(width - 1, "0");
  if (s.length > width - 1) throw new Error(`tar: ${n} does not fit in ${width} bytes`);
  text(h, at, width, `${s}\0`);
}
