/**
 * Line-preserving edits of RUN instructions. Each helper refuses (returns null) what it does not
 * fully understand — exec form, heredocs, trailing shell comments, control operators other than
 * `&&` where it matters — so a rewrite never touches a line it cannot reason about.
 */
import type { DockerfileInstruction, ParsedDockerfile } from '../parse.js';

/** Raw lines of an instruction (continuations and all). */
export function rawLines(df: ParsedDockerfile, ins: DockerfileInstruction): string[] {
  return df.lines.slice(ins.startLine - 1, ins.endLine);
}

/** The file text with lines [start, end] (1-based, inclusive) replaced by `lines`. */
export function replaceLines(df: ParsedDockerfile, start: number, end: number, lines: readonly string[]): string {
  const out = [...df.lines.slice(0, start - 1), ...lines, ...df.lines.slice(end)];
  return out.join(df.eol) + (df.text.endsWith('\n') || df.lines.length === 0 ? df.eol : '');
}

/** A shell-form RUN without heredocs: the only kind these helpers edit. */
export function isPlainRun(ins: DockerfileInstruction | undefined): ins is DockerfileInstruction {
  return ins !== undefined && ins.keyword === 'RUN' && ins.exec === null && ins.heredocs.length === 0;
}

/** True when `line` has a `#` comment outside quotes (appending a continuation would be swallowed). */
function hasTrailingComment(line: string): boolean {
  let q: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"') i++;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return true;
  }
  return false;
}

/**
 * Splits a command on top-level `&&`; null when it uses any other control operator, substitution
 * or grouping outside quotes (`;`, `||`, `|`, `&`, `(`, `` ` ``, `$(`), or unbalanced quotes.
 */
export function splitAndChain(cmd: string): string[] | null {
  const parts: string[] = [];
  let cur = '';
  let q: string | null = null;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (q) {
      cur += c;
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < cmd.length) cur += cmd[++i];
      continue;
    }
    if (c === '"' || c === "'") {
      q = c;
      cur += c;
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += c + cmd[++i];
    } else if (c === '&' && cmd[i + 1] === '&') {
      parts.push(cur.trim());
      cur = '';
      i++;
    } else if (';|&()`\n'.includes(c) || (c === '$' && cmd[i + 1] === '(')) return null;
    else cur += c;
  }
  if (q) return null;
  parts.push(cur.trim());
  return parts.some((p) => p === '') ? null : parts;
}

/** Words of a simple command (quotes removed); null when it has quotes with spaces or expansions we would misread. */
export function words(cmd: string): string[] {
  return cmd.split(/\s+/).filter(Boolean).map((w) => w.replace(/^(['"])(.*)\1$/, '$2'));
}

/**
 * Appends `&& cmd` as a new continuation line at the end of a RUN. Null when the RUN is not plain,
 * its last line carries a shell comment, or it ends in a dangling continuation.
 */
export function appendToRun(df: ParsedDockerfile, ins: DockerfileInstruction, cmd: string): string | null {
  if (!isPlainRun(ins)) return null;
  const lines = rawLines(df, ins);
  const last = lines[lines.length - 1]!;
  if (hasTrailingComment(last.replace(/^\s*RUN\s/i, ' ')) || last.trimEnd().endsWith(df.escape)) return null;
  const indent = lines.length > 1 ? (/^\s*/.exec(lines[1]!)?.[0] ?? '    ') || '    ' : '    ';
  const next = [...lines.slice(0, -1), `${last.trimEnd()} ${df.escape}`, `${indent}&& ${cmd}`];
  return replaceLines(df, ins.startLine, ins.endLine, next);
}

/** Replaces `re` in the raw lines of a RUN (each line on its own); null when nothing changed. */
export function editRunLines(df: ParsedDockerfile, ins: DockerfileInstruction, edit: (line: string, i: number) => string): string | null {
  if (!isPlainRun(ins)) return null;
  const lines = rawLines(df, ins);
  const next = lines.map((l, i) => (i > 0 && /^\s*#/.test(l) ? l : edit(l, i)));
  if (next.every((l, i) => l === lines[i])) return null;
  return replaceLines(df, ins.startLine, ins.endLine, next);
}

/** Predicted savings of a finding in the given layers (all of them when `layers` is empty). */
export function bytesIn(layerBytes: ReadonlyMap<number, { bytes: number; compressedBytes: number }>, layers: readonly number[]): { bytes: number; compressedBytes: number } {
  let bytes = 0;
  let compressedBytes = 0;
  for (const [l, b] of layerBytes) {
    if (layers.length > 0 && !layers.includes(l)) continue;
    bytes += b.bytes;
    compressedBytes += b.compressedBytes;
  }
  return { bytes, compressedBytes };
}

/** Layers of the located finding whose instruction is `ins`. */
export function layersOf(byLayer: ReadonlyMap<number, DockerfileInstruction>, ins: DockerfileInstruction): number[] {
  return [...byLayer].filter(([, i]) => i === ins).map(([l]) => l);
}
