/**
 * Path normalization for layer entries. Every path inside imgsize is "clean": no leading `/` or
 * `./`, no `.` segments, no trailing `/`, no empty segments; the root directory is "".
 * `..` segments are resolved lexically and never climb above the root: the clean path is where
 * an extractor that confines entries to the root (containerd's `fs.RootPath`) would put the
 * entry, and it is what the overlay uses. imgsize never touches the local filesystem with it.
 *
 * "Faithful" reporting (docs/RELIABILITY.md): when cleaning changed a name in a way that matters
 * (a `..` segment, an absolute name) or the name is not what its bytes were (not UTF-8), the layer
 * scan adds one warning per layer and kind quoting the raw name (`pathHazards`). Names are
 * otherwise reported as decoded, control characters included: escaping them is the renderers' job.
 * (A NUL cannot be part of a name: it ends ustar and GNU names, and a pax name holding one is
 * E_BAD_TAR, as in Go's archive/tar.)
 */
/** A name that needs cleaning: an empty, `.` or `..` segment anywhere (leading `/`, `//`, `./`, trailing `/`, …). */
const UNCLEAN = /(?:^|\/)\.{0,2}(?:\/|$)/;

export function cleanPath(raw: string): string {
  // Most names are clean already, or clean but for the trailing `/` of a directory.
  if (!UNCLEAN.test(raw)) return raw;
  if (raw.length > 1 && raw.endsWith('/')) {
    const dir = raw.slice(0, -1);
    if (!UNCLEAN.test(dir)) return dir;
  }
  if (raw === '' || raw === '/' || raw === '.' || raw === './') return '';
  const out: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return out.join('/');
}

/** Parent of a clean path ("" for top-level entries and for the root). */
export function parentPath(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** Last segment of a clean path. */
export function baseName(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/** Joins a clean directory and a clean relative path. */
export function joinPath(dir: string, rel: string): string {
  if (dir === '') return rel;
  if (rel === '') return dir;
  return `${dir}/${rel}`;
}

/** Ways a raw entry name can be changed by cleaning, or be something other than what it shows. */
export type PathHazard = 'dotdot' | 'absolute' | 'not-utf8';

/** What each hazard means, for warnings. */
export const PATH_HAZARD_TEXT: Readonly<Record<PathHazard, string>> = {
  dotdot: 'has ".." segments (resolved inside the image root, as containerd would; Docker refuses such layers)',
  absolute: 'is absolute (read relative to the image root)',
  'not-utf8': 'contains U+FFFD, which bytes that are not valid UTF-8 decode to (different raw names may look the same)',
};

/** The hazards of a raw (decoded) entry name; empty for ordinary names. */
export function pathHazards(raw: string): PathHazard[] {
  const out: PathHazard[] = [];
  if (raw.includes('..') && raw.split('/').includes('..')) out.push('dotdot');
  if (raw.startsWith('/') && raw !== '/') out.push('absolute');
  if (raw.includes('\ufffd')) out.push('not-utf8');
  return out;
}
