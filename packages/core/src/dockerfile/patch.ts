/**
 * `imgsize fix`: turns located findings into a unified diff of the Dockerfile (and its
 * `.dockerignore`), one hunk per applied rewrite. Rewrites are applied one after the other, each on
 * the text the previous ones produced, and each hunk is its own file section (`--- ./Dockerfile`,
 * `+++ ./Dockerfile`, one `@@`) preceded by a `# imgsize fix …` comment line: `git apply` and
 * `patch -p0` apply such sections in order, and a hunk never depends on how far away another is.
 */
import type { Finding, PackageReport } from '../report-schema.js';
import { parseDockerfile, type ParsedDockerfile } from './parse.js';
import { REWRITES_BY_FINDING, REWRITE_ORDER } from './rewrites/families.js';
import type { LocatedFinding, RewriteResult } from './rewrites/types.js';

/** A finding located by instruction indexes of the ORIGINAL Dockerfile. */
export interface FindingPlacement {
  finding: Finding;
  /** Instruction index of the layer with most of the finding's bytes. */
  main: number | undefined;
  /** Per layer of the finding, the instruction index that made it. */
  byLayer: ReadonlyMap<number, number>;
  layerBytes: ReadonlyMap<number, { bytes: number; compressedBytes: number }>;
}

/** One hunk of the fix. */
export interface FixHunk {
  /** 1-based position in the patch. */
  n: number;
  findingId: string;
  findingTitle: string;
  family: string;
  review: boolean;
  summary: string;
  note?: string | undefined;
  file: 'Dockerfile' | '.dockerignore';
  /** Predicted savings, uncompressed and compressed. */
  bytes: number;
  compressedBytes: number;
  /** dpkg packages the image no longer gets (hunks that stop installing packages). */
  dropsPackages?: string[] | undefined;
  /** This hunk's section of the patch (comment line, file headers, one @@ hunk). */
  text: string;
  /** The Dockerfile and .dockerignore texts after this hunk (and all before it). */
  dockerfileAfter: string;
  dockerignoreAfter: string | null;
}

/** The whole fix. */
export interface FixPlan {
  hunks: FixHunk[];
  /** Every hunk's section, in order: a patch `git apply` / `patch -p0` accept. Empty when nothing applies. */
  patch: string;
  dockerfile: string;
  dockerignore: string | null;
  /** Per instruction of the patched Dockerfile, the index of the original instruction it is (null: added by a hunk). */
  origins: Array<number | null>;
  /** Rewrites that recognised a finding but not the Dockerfile's shape: no hunk, and why. */
  declined: Array<{ findingId: string; family: string; reason: string }>;
}

/** Inputs of planFix. */
export interface PlanFixInput {
  dockerfileText: string;
  /** Path of the Dockerfile as the patch names it (relative, e.g. `Dockerfile` or `app/Dockerfile`). */
  patchPath: string;
  /** Path of the .dockerignore as the patch names it (beside the Dockerfile: the build context). */
  dockerignorePath: string;
  dockerignoreText: string | null;
  placements: readonly FindingPlacement[];
  builder: LocatedFinding['builder'];
  packages?: readonly PackageReport[] | undefined;
  /** Leave out rewrites that may change behaviour. */
  safeOnly?: boolean | undefined;
  buildArgs?: Readonly<Record<string, string>> | undefined;
}

/** Human size (decimal units). */
function fmt(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

interface Lines {
  lines: string[];
  /** The text ends with a newline (else the last line gets "\ No newline at end of file"). */
  eolAtEnd: boolean;
}

function toLines(text: string | null): Lines {
  if (text === null || text === '') return { lines: [], eolAtEnd: true };
  const lines = text.split(/\r?\n/);
  const eolAtEnd = text.endsWith('\n');
  if (eolAtEnd) lines.pop();
  return { lines, eolAtEnd };
}

/** Longest common subsequence pairs of two short line arrays. */
function lcs(a: readonly string[], b: readonly string[]): Array<['=' | '-' | '+', string]> {
  const n = a.length;
  const m = b.length;
  const t: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) t[i]![j] = a[i] === b[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!);
  const out: Array<['=' | '-' | '+', string]> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(['=', a[i++]!]);
      j++;
    } else if (i < n && (j === m || t[i + 1]![j]! >= t[i]![j + 1]!)) out.push(['-', a[i++]!]);
    else out.push(['+', b[j++]!]);
  }
  return out;
}

/**
 * One unified-diff section turning `before` into `after` as a single hunk (3 lines of context).
 * `before === null` creates the file. Returns null when nothing changed.
 */
export function diffSection(path: string, before: string | null, after: string, crlf = false): string | null {
  const A = toLines(before);
  const B = toLines(after);
  if (before === after) return null;
  let pre = 0;
  while (pre < A.lines.length && pre < B.lines.length && A.lines[pre] === B.lines[pre]) pre++;
  let suf = 0;
  while (suf < A.lines.length - pre && suf < B.lines.length - pre && A.lines[A.lines.length - 1 - suf] === B.lines[B.lines.length - 1 - suf]) suf++;
  // A change of the final newline alone touches the last line.
  if (A.eolAtEnd !== B.eolAtEnd && suf > 0) suf = 0;
  const ctx = 3;
  const a0 = Math.max(0, pre - ctx);
  const a1 = Math.min(A.lines.length, A.lines.length - suf + ctx);
  const b1 = Math.min(B.lines.length, B.lines.length - suf + ctx);
  const head = A.lines.slice(a0, pre);
  const mid = lcs(A.lines.slice(pre, A.lines.length - suf), B.lines.slice(pre, B.lines.length - suf));
  const tail = A.lines.slice(A.lines.length - suf, a1);
  const ops: Array<['=' | '-' | '+', string]> = [...head.map((l) => ['=', l] as ['=', string]), ...mid, ...tail.map((l) => ['=', l] as ['=', string])];
  const aCount = a1 - a0;
  const bCount = b1 - a0;
  const e = crlf ? '\r' : '';
  const out: string[] = [];
  out.push(before === null ? '--- /dev/null' : `--- ./${path}`, `+++ ./${path}`);
  out.push(`@@ -${aCount === 0 ? a0 : a0 + 1},${aCount} +${bCount === 0 ? a0 : a0 + 1},${bCount} @@`);
  let ai = a0;
  let bi = a0;
  for (const [op, l] of ops) {
    out.push(`${op === '=' ? ' ' : op}${l}${e}`);
    const lastA = op !== '+' && ai === A.lines.length - 1 && !A.eolAtEnd;
    const lastB = op !== '-' && bi === B.lines.length - 1 && !B.eolAtEnd;
    if (op === '=' && (lastA || lastB) && A.eolAtEnd !== B.eolAtEnd) {
      // the same text, different final newline: spell it as a - and a + line
      out.pop();
      out.push(`-${l}${e}`);
      if (lastA) out.push('\\ No newline at end of file');
      out.push(`+${l}${e}`);
      if (lastB) out.push('\\ No newline at end of file');
    } else if (lastA || lastB) out.push('\\ No newline at end of file');
    if (op !== '+') ai++;
    if (op !== '-') bi++;
  }
  return `${out.join('\n')}\n`;
}

/** Plans the fix: every applicable rewrite of every placed finding, in finding order, as hunks. */
export function planFix(input: PlanFixInput): FixPlan {
  let dockerfile = input.dockerfileText;
  let dockerignore = input.dockerignoreText;
  const crlf = dockerfile.includes('\r\n');
  const hunks: FixHunk[] = [];
  const declined: FixPlan['declined'] = [];
  let df: ParsedDockerfile = parseDockerfile(dockerfile, { path: input.patchPath, buildArgs: input.buildArgs });
  // live[k] = original index of the k-th instruction of the current text.
  const live = df.instructions.map((i) => i.index);
  const original = df;
  const origLine = (line: number): number => {
    const k = df.instructions.findIndex((i) => i.startLine === line);
    const o = k < 0 ? undefined : original.instructions[live[k]!];
    return o ? o.startLine : line;
  };
  const cur = (i: number | undefined): number | undefined => {
    const k = i === undefined ? -1 : live.indexOf(i);
    return k < 0 ? undefined : k;
  };
  // Rewrites that drop caches and late deletions go first, then those that change what is
  // installed, then review ones: a hunk's realized savings are then its own (an opencv swap
  // measured after the pip cache is gone does not also shrink the cache).
  const pairs = input.placements
    .flatMap((p, pi) => (REWRITES_BY_FINDING[p.finding.id] ?? []).map((rw) => ({ p, pi, rw, rank: REWRITE_ORDER.indexOf(rw) })))
    .sort((a, b) => a.rank - b.rank || a.pi - b.pi);
  for (const { p, rw: rw0 } of pairs) {
    // A rewrite may apply to several instructions (a pip cache left by two RUNs): apply it until
    // it has nothing left to do, one hunk each time.
    for (const rw of new Array<typeof rw0>(8).fill(rw0)) {
      const byLayer = new Map<number, ParsedDockerfile['instructions'][number]>();
      for (const [l, i] of p.byLayer) {
        const c = cur(i);
        if (c !== undefined) byLayer.set(l, df.instructions[c]!);
      }
      const mainIdx = cur(p.main);
      const located: LocatedFinding = {
        finding: p.finding,
        main: mainIdx === undefined ? undefined : df.instructions[mainIdx],
        byLayer,
        layerBytes: p.layerBytes,
        builder: input.builder,
        packages: input.packages,
        original: (ins) => {
          const k = df.instructions.indexOf(ins);
          const o = k < 0 ? undefined : live[k];
          return o === undefined ? undefined : original.instructions[o];
        },
      };
      const got = rw(df, located, { dockerignore });
      if (got && 'declined' in got) {
        if (!declined.some((d) => d.findingId === p.finding.id && d.family === got.family)) declined.push({ findingId: p.finding.id, family: got.family, reason: got.declined });
        break;
      }
      const r0: RewriteResult | null = got;
      // Summaries name lines of the file the user has (the original), not of the text so far.
      const r = r0 && { ...r0, summary: r0.summary.split(`${input.patchPath}:`).map((part, i) => (i === 0 ? part : part.replace(/^\d+/, (n) => String(origLine(Number(n)))))).join(`${input.patchPath}:`) };
      if (!r || (r.review && input.safeOnly)) continue;
      if (r.text === (r.file === 'Dockerfile' ? dockerfile : dockerignore)) continue;
      const before = r.file === 'Dockerfile' ? dockerfile : dockerignore;
      const path = r.file === 'Dockerfile' ? input.patchPath : input.dockerignorePath;
      const section = diffSection(path, before, r.text, crlf && r.file === 'Dockerfile');
      if (section === null) continue;
      if (r.file === 'Dockerfile') {
        dockerfile = r.text;
        if (r.liveMap) live.splice(0, live.length, ...r.liveMap.map((k) => (k === null ? -1 : live[k]!)));
        else for (const ci of [...(r.removes ?? [])].sort((a, b) => b - a)) live.splice(ci, 1);
        df = parseDockerfile(dockerfile, { path: input.patchPath, buildArgs: input.buildArgs });
      } else dockerignore = r.text;
      const n = hunks.length + 1;
      const comment = `# imgsize fix ${n}${r.review ? ' [review]' : ''}: ${p.finding.id} (${p.finding.title}): ${r.summary}; predicted savings ${fmt(r.bytes)} uncompressed, ${fmt(r.compressedBytes)} compressed${r.note ? `; ${r.note}` : ''}`;
      hunks.push({
        n,
        findingId: p.finding.id,
        findingTitle: p.finding.title,
        family: r.family,
        review: r.review,
        summary: r.summary,
        ...(r.note !== undefined && { note: r.note }),
        file: r.file,
        bytes: r.bytes,
        compressedBytes: r.compressedBytes,
        ...(r.dropsPackages !== undefined && { dropsPackages: r.dropsPackages }),
        text: `${comment.replace(/\s*\n\s*/g, ' ')}\n${section}`,
        dockerfileAfter: dockerfile,
        dockerignoreAfter: dockerignore,
      });
    }
  }
  return { hunks, patch: hunks.map((h) => h.text).join(''), dockerfile, dockerignore, origins: live.map((o) => (o < 0 ? null : o)), declined };
}
