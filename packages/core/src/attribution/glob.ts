/**
 * Glob patterns for category rules, compiled once to RegExp.
 *
 * Syntax (matched against the whole clean path, no leading `/`; a leading `/` in the pattern is
 * ignored): `*` any run of characters but `/`; `?` one character but `/`; `**` as a whole segment
 * any number of directories (`a/**` is everything below `a`, `**\/b` is `b` at any depth);
 * `[abc]`, `[a-z]`, `[!a]` character classes; `{x,y*,z}` alternatives (nestable); `\` escapes.
 */

/** A compiled glob: the RegExp plus hints the matcher uses to skip it cheaply. */
export interface CompiledGlob {
  source: string;
  re: RegExp;
  /** Literal first path segment every match starts with, or undefined when it can vary. */
  firstSegment: string | undefined;
  /** A literal substring every matching path contains ('' when none is known). */
  required: string;
}

/** Thrown for a malformed pattern; callers turn it into E_BAD_CONFIG with the rule's index. */
export class GlobSyntaxError extends Error {}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function escapeRe(s: string): string {
  return s.replace(REGEX_SPECIAL, '\\$&');
}

interface Parsed {
  re: string;
  /** Literal runs outside wildcards and alternatives, in order. */
  literals: string[];
}

/** Compiles one glob to a RegExp source (without anchors) plus its literal runs. */
function parse(p: string, nested: boolean): Parsed & { end: number } {
  let re = '';
  const literals: string[] = [];
  let lit = '';
  const flushLit = (): void => {
    if (lit) literals.push(lit);
    lit = '';
  };
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (nested && (c === ',' || c === '}')) break;
    if (c === '*') {
      flushLit();
      if (p[i + 1] === '*') {
        const atStart = i === 0 || p[i - 1] === '/';
        const next = p[i + 2];
        if (!atStart || (next !== undefined && next !== '/' && !(nested && (next === ',' || next === '}')))) {
          throw new GlobSyntaxError(`"**" must be a whole path segment in "${p}"`);
        }
        if (next === '/') {
          // `**/` : zero or more leading directories.
          re += '(?:[^]*/)?';
          i += 3;
        } else {
          // Trailing `**`: after `a/` it means one or more more characters (everything below).
          if (re.endsWith('/')) re += '[^]+';
          else re += '[^]*';
          i += 2;
        }
        continue;
      }
      re += '[^/]*';
      i++;
      continue;
    }
    if (c === '?') {
      flushLit();
      re += '[^/]';
      i++;
      continue;
    }
    if (c === '[') {
      flushLit();
      const close = p.indexOf(']', i + 2);
      if (close < 0) throw new GlobSyntaxError(`unterminated "[" in "${p}"`);
      let body = p.slice(i + 1, close);
      let neg = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        neg = true;
        body = body.slice(1);
      }
      re += `[${neg ? '^/' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close + 1;
      continue;
    }
    if (c === '{') {
      flushLit();
      const alts: string[] = [];
      let j = i + 1;
      for (;;) {
        const sub = parse(p.slice(j), true);
        alts.push(sub.re);
        j += sub.end;
        if (p[j] === ',') {
          j++;
          continue;
        }
        if (p[j] === '}') {
          j++;
          break;
        }
        throw new GlobSyntaxError(`unterminated "{" in "${p}"`);
      }
      re += `(?:${alts.join('|')})`;
      i = j;
      continue;
    }
    if (c === '}') throw new GlobSyntaxError(`unmatched "}" in "${p}"`);
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw new GlobSyntaxError(`pattern "${p}" ends with "\\"`);
      lit += n;
      re += escapeRe(n);
      i += 2;
      continue;
    }
    lit += c;
    re += escapeRe(c);
    i++;
  }
  flushLit();
  return { re, literals, end: i };
}

/** Strips the leading `/`s and surrounding blanks of a pattern. */
function normalize(pattern: string): string {
  let p = pattern.trim();
  while (p.startsWith('/')) p = p.slice(1);
  return p;
}

/** Compiles a glob (see the module comment for the syntax); throws GlobSyntaxError when malformed. */
export function compileGlob(pattern: string): CompiledGlob {
  const p = normalize(pattern);
  if (p === '') throw new GlobSyntaxError('empty pattern');
  const { re, literals, end } = parse(p, false);
  if (end !== p.length) throw new GlobSyntaxError(`unexpected "${p[end]}" in "${pattern}"`);
  let source: string;
  // `**/x`: search for x at the start or after any `/` instead of backtracking over a prefix.
  if (re.startsWith('(?:[^]*/)?')) source = `(?:^|/)${re.slice('(?:[^]*/)?'.length)}$`;
  else source = `^${re}$`;
  const firstSlash = p.indexOf('/');
  const head = firstSlash < 0 ? p : p.slice(0, firstSlash);
  const firstSegment = firstSlash > 0 && !/[*?[{\\]/.test(head) ? head : undefined;
  const required = literals.reduce((best, l) => (l.length > best.length ? l : best), '');
  return { source, re: new RegExp(source), firstSegment, required };
}

/**
 * A glob split into a directory part and a basename part, so a matcher can test the directory
 * part once per directory and only the basename part per file. `dir` tests the file's parent
 * directory (clean path, '' for the root); `base` tests the file name (null: any name).
 */
export interface SplitGlob {
  dir: RegExp;
  base: RegExp | null;
}

const ANY_DIR = /^/;
const ROOT_DIR = /^$/;

/** Index of the last `/` outside `{…}` and `[…]`, or -1. */
function lastTopLevelSlash(p: string): number {
  let depth = 0;
  let inClass = false;
  let last = -1;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === '/' && depth === 0) last = i;
  }
  return last;
}

/** A RegExp matching directory `a` itself and everything below it. */
function subtree(a: string): RegExp {
  if (a === '**') return ANY_DIR;
  const src = compileGlob(a).source;
  return new RegExp(`${src.slice(0, -1)}(?:/[^]*)?$`);
}

/**
 * Splits a glob for per-directory matching, or returns undefined when it cannot be split (a `/`
 * inside `{…}` in the last segment): such patterns are matched against the whole path.
 */
export function splitGlob(pattern: string): SplitGlob | undefined {
  const p = normalize(pattern);
  const slash = lastTopLevelSlash(p);
  const dirPart = slash < 0 ? '' : p.slice(0, slash);
  const base = slash < 0 ? p : p.slice(slash + 1);
  if (/[{][^}]*\//.test(base)) return undefined;
  if (base === '**') {
    // `a/**`: any file below `a`, i.e. whose parent is `a` or below it.
    return { dir: slash < 0 ? ANY_DIR : subtree(dirPart), base: null };
  }
  let dir: RegExp;
  if (slash < 0) dir = ROOT_DIR;
  else if (dirPart === '**') dir = ANY_DIR;
  else if (dirPart.endsWith('/**')) dir = subtree(dirPart.slice(0, -3));
  else dir = compileGlob(dirPart).re;
  const b = base === '*' ? null : compileGlob(base).re;
  return { dir, base: b };
}
