/**
 * Maps an image's history entries (and so its layers) to the Dockerfile instructions that made
 * them. Each entry is normalised from either builder's style — the classic builder's
 * `/bin/sh -c #(nop) COPY file:… in /dest` and `|2 A=1 B=2 /bin/sh -c …`, BuildKit's
 * `RUN |2 A=1 B=2 /bin/sh -c … # buildkit`, `RUN --mount=… …`, `COPY src dest # buildkit` — and the
 * final stage's instruction chain is aligned with the tail of the history by an order-preserving
 * best alignment. Entries before the first aligned one are the base image's. An entry that matches
 * nothing, or that could equally be another instruction's, is a typed warning, never a guess.
 */
import { ImgsizeError } from '../errors.js';
import { finalChain, parseExecForm, parseKeyValues, splitFlags, type DockerfileInstruction, type ParsedDockerfile } from './parse.js';

/** Stable warning codes of the mapping. */
export const MAPPING_WARNING_CODES = ['W_DF_UNMATCHED_ENTRY', 'W_DF_AMBIGUOUS_ENTRY', 'W_DF_UNMATCHED_INSTRUCTION'] as const;
export type MappingWarningCode = (typeof MAPPING_WARNING_CODES)[number];

/** A recoverable oddity of the mapping. */
export interface MappingWarning {
  code: MappingWarningCode;
  message: string;
  historyIndex?: number | undefined;
  line?: number | undefined;
}

/** Where one history entry comes from. */
export interface HistoryLocation {
  historyIndex: number;
  /** Layer the entry created (null for empty-layer entries). */
  layer: number | null;
  /** `instruction`: a line of the Dockerfile; `base`: the base image (reported at its FROM line); `unmatched`: unknown. */
  kind: 'instruction' | 'base' | 'unmatched';
  /** The instruction (the FROM of the root stage for `base`); absent when unmatched. */
  instruction?: DockerfileInstruction | undefined;
}

/** The mapping of a whole image. */
export interface DockerfileMapping {
  builder: 'classic' | 'buildkit' | 'unknown';
  entries: HistoryLocation[];
  /** Per layer, the location of the history entry that created it (null when unknown). */
  layers: (HistoryLocation | null)[];
  warnings: MappingWarning[];
}

/** The history fields the mapping reads (the report's `history` rows fit). */
export interface HistoryInput {
  createdBy: string;
  emptyLayer: boolean;
  comment?: string | undefined;
  layerIndex: number | null;
}

/** A history entry reduced to what can be compared with an instruction. */
export interface NormalizedEntry {
  keyword: string;
  /** RUN: the command without shell prefix, build-arg prefix and flags; others: the text after the keyword. */
  text: string;
  /** Classic `COPY file:<hash> in <dest>` style: only the destination is known. */
  classicCopyDest?: string | undefined;
  buildkit: boolean;
}

const KEYWORDS = /^(ADD|ARG|CMD|COPY|ENTRYPOINT|ENV|EXPOSE|HEALTHCHECK|LABEL|MAINTAINER|ONBUILD|SHELL|STOPSIGNAL|USER|VOLUME|WORKDIR)\b\s*/;

/** Strips BuildKit's `|N K=V …` build-arg prefix (exactly N assignments). */
function stripArgPrefix(s: string): string {
  const m = /^\|(\d+)\s+/.exec(s);
  if (!m) return s;
  let rest = s.slice(m[0].length);
  for (let n = Number(m[1]); n > 0; n--) {
    const a = /^[A-Za-z_][A-Za-z0-9_]*=\S*\s*/.exec(rest);
    if (!a) break;
    rest = rest.slice(a[0].length);
  }
  return rest;
}

/** Normalizes one `created_by` string of either builder. */
export function normalizeHistoryEntry(createdBy: string, comment?: string): NormalizedEntry {
  let s = createdBy.trim();
  const buildkit = /\s#\s*buildkit$/.test(s) || (comment ?? '').startsWith('buildkit');
  s = s.replace(/\s*#\s*buildkit$/, '');
  // The classic builder prefixes non-RUN entries with the SHELL in effect: `/bin/bash -c #(nop) `.
  const nop = /^\S[^#]*?\s#\(nop\)\s*/.exec(s);
  if (nop) {
    const rest = s.slice(nop[0].length).trim();
    const m = KEYWORDS.exec(rest);
    const keyword = m ? m[1]! : (rest.split(/\s/)[0] ?? '').toUpperCase();
    const text = m ? rest.slice(m[0].length).trim() : rest;
    if (keyword === 'COPY' || keyword === 'ADD') {
      const c = /^(?:--\S+\s+)*(?:file|dir|multi|[a-z]+):[0-9a-f]*\s+in\s+(.*)$/.exec(text);
      if (c) return { keyword, text, classicCopyDest: c[1]!.trim(), buildkit: false };
    }
    return { keyword, text, buildkit: false };
  }
  if (s.startsWith('RUN ')) s = s.slice(4);
  else {
    const m = KEYWORDS.exec(s);
    if (m && buildkit) return { keyword: m[1]!, text: s.slice(m[0].length).trim(), buildkit };
  }
  // A RUN: flags (--mount, --network, --security), the build-arg prefix, then the command.
  let cmd = splitFlags(s).rest;
  cmd = stripArgPrefix(cmd.trim());
  cmd = splitFlags(cmd).rest;
  return { keyword: 'RUN', text: cmd.trim(), buildkit };
}

const ws = (s: string): string => s.replace(/\s+/g, ' ').trim();
const quoted = (s: string): string[] | null => {
  const j = parseExecForm(s);
  if (j) return j;
  const all = [...s.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  return s.trim().startsWith('[') && all.length > 0 ? all : null;
};
const stripSlash = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/** The shell prefix for shell-form RUNs in effect at each instruction (SHELL changes it). */
function shellAt(chain: readonly DockerfileInstruction[]): Map<DockerfileInstruction, string[]> {
  const out = new Map<DockerfileInstruction, string[]>();
  let shell = ['/bin/sh', '-c'];
  for (const ins of chain) {
    if (ins.keyword === 'SHELL' && ins.exec) shell = ins.exec;
    out.set(ins, shell);
  }
  return out;
}

/**
 * How well an entry matches an instruction: 3 exact (command, sources and destination), 2 the
 * distinctive part (destination, variable names, path), 1 the keyword only (instructions without
 * distinctive text, e.g. EXPOSE), 0 no match. RUN, COPY and ADD never match on the keyword alone.
 */
export function matchScore(ins: DockerfileInstruction, e: NormalizedEntry, shell: readonly string[] = ['/bin/sh', '-c']): number {
  const kw = ins.keyword === 'MAINTAINER' ? 'MAINTAINER' : ins.keyword;
  if (kw !== e.keyword) return 0;
  switch (kw) {
    case 'RUN': {
      const h = ws(e.text);
      if (ins.exec) return h === ws(ins.exec.join(' ')) ? 3 : 0;
      const pre = ws(shell.join(' ')) + ' ';
      const cmd = h.startsWith(pre) ? h.slice(pre.length) : h.startsWith('/bin/sh -c ') ? h.slice('/bin/sh -c '.length) : null;
      if (cmd === null) return 0;
      const want = ws(ins.args);
      if (cmd === want) return 3;
      if (ins.heredocs.length > 0) {
        // BuildKit records a heredoc RUN as its body (one file) or as written; either is exact.
        const body = ins.args.split('\n').slice(1, -1).join('\n');
        if (cmd === ws(body)) return 3;
      }
      return 0;
    }
    case 'COPY':
    case 'ADD': {
      const parts = ins.exec ?? ins.expanded.split(/\s+/).filter(Boolean);
      const dest = parts[parts.length - 1] ?? '';
      if (e.classicCopyDest !== undefined) return stripSlash(e.classicCopyDest) === stripSlash(dest) ? 2 : 0;
      const h = splitFlags(e.text).rest;
      const hp = quoted(h) ?? h.split(/\s+/).filter(Boolean);
      if (ws(hp.join(' ')) === ws(parts.join(' '))) return 3;
      return stripSlash(hp[hp.length - 1] ?? '') === stripSlash(dest) ? 2 : 0;
    }
    case 'ENV':
    case 'ARG':
    case 'LABEL': {
      const a = parseKeyValues(ins.expanded, kw === 'ENV').map(([k]) => k);
      const first = /^([^\s=]+)/.exec(e.text)?.[1];
      return first !== undefined && a.includes(first) ? 2 : 0;
    }
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
      return ws(e.text) === ws(ins.expanded) ? 2 : 0;
    case 'CMD':
    case 'ENTRYPOINT': {
      const want = ins.exec ?? [...shell, ins.expanded];
      const got = quoted(e.text);
      return got && got.join('\u0000') === want.join('\u0000') ? 2 : 0;
    }
    case 'EXPOSE': {
      const ports = (t: string): string => [...t.matchAll(/\d+(?:\/(?:tcp|udp|sctp))?/g)].map((x) => (x[0].includes('/') ? x[0] : `${x[0]}/tcp`)).sort().join(' ');
      return ports(e.text) === ports(ins.expanded) ? 2 : 0;
    }
    case 'SHELL':
    case 'VOLUME': {
      const want = ins.exec ?? ins.expanded.split(/\s+/);
      const got = quoted(e.text) ?? e.text.replace(/^\[|\]$/g, '').split(/\s+/);
      return got.join(' ') === want.join(' ') ? 2 : 0;
    }
    default:
      return 1;
  }
}

/** Whether the builder records a history entry for this instruction. */
function recorded(ins: DockerfileInstruction, builder: DockerfileMapping['builder']): boolean {
  // Both builders record ARG, ENV, CMD, ... as empty-layer entries; ONBUILD triggers of a base
  // image run in the child and are not instructions of this file.
  return builder !== 'unknown' || ins.keyword !== 'ARG';
}

/**
 * Maps history entries and layers to the Dockerfile. Throws E_DOCKERFILE_MISMATCH when fewer than
 * half of the final stage's recorded instructions match: the Dockerfile belongs to another image.
 */
export function mapHistoryToDockerfile(df: ParsedDockerfile, history: readonly HistoryInput[], layerCount: number): DockerfileMapping {
  const norm = history.map((h) => normalizeHistoryEntry(h.createdBy, h.comment));
  const builder: DockerfileMapping['builder'] = norm.some((n) => n.buildkit) ? 'buildkit' : history.length > 0 ? 'classic' : 'unknown';
  const { root, instructions: chain } = finalChain(df);
  const shells = shellAt(chain);
  const n = chain.length;
  const m = history.length;
  const score = (i: number, j: number): number => matchScore(chain[i]!, norm[j]!, shells.get(chain[i]!));
  // Best order-preserving alignment, filled from the END so that ties align instructions with the
  // latest entries (the base image's own CMD/ENV must not steal the Dockerfile's).
  const dp: Float64Array[] = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const s = score(i, j);
      dp[i]![j] = Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!, s > 0 ? s + dp[i + 1]![j + 1]! : 0);
    }
  }
  // Two best alignments: one taking the latest entries on ties, one the earliest. Pairs on which
  // they agree are certain; an entry they attribute differently could be either: ambiguous.
  const align = (late: boolean): Map<number, number> => {
    const out = new Map<number, number>(); // history index -> chain index
    for (let i = 0, j = 0; i < n && j < m; ) {
      const s = score(i, j);
      const canMatch = s > 0 && dp[i]![j] === s + dp[i + 1]![j + 1]!;
      if (canMatch && (!late || dp[i]![j + 1]! < dp[i]![j]!)) {
        out.set(j, i);
        i++;
        j++;
      } else if (late) {
        if (dp[i]![j + 1] === dp[i]![j]) j++;
        else i++;
      } else if (dp[i + 1]![j] === dp[i]![j]) i++;
      else j++;
    }
    return out;
  };
  const late = align(true);
  const early = align(false);
  const warnings: MappingWarning[] = [];
  const label = (ins: DockerfileInstruction): string => `${df.path}:${ins.startLine} (${ins.keyword})`;
  const matchOf = new Map<number, number>();
  for (const [j, i] of late) if (early.get(j) === i) matchOf.set(j, i);
  for (const j of [...new Set([...late.keys(), ...early.keys()])].sort((a, b) => a - b)) {
    if (matchOf.has(j)) continue;
    const cands = [late.get(j), early.get(j)].filter((x): x is number => x !== undefined).map((i) => label(chain[i]!));
    warnings.push({
      code: 'W_DF_AMBIGUOUS_ENTRY',
      message: `history entry ${j} (${ws(history[j]!.createdBy).slice(0, 60)}) could be ${[...new Set(cands)].join(' or ')} or belong to another instruction; not attributed`,
      historyIndex: j,
    });
  }
  const firstCandidate = Math.min(...late.keys(), ...early.keys(), m);
    const entries: HistoryLocation[] = history.map((h, j) => {
    const i = matchOf.get(j);
    if (i !== undefined) return { historyIndex: j, layer: h.layerIndex, kind: 'instruction', instruction: chain[i] };
    if (j < firstCandidate) return { historyIndex: j, layer: h.layerIndex, kind: 'base', instruction: root.from };
    return { historyIndex: j, layer: h.layerIndex, kind: 'unmatched' };
  });
  for (const e of entries) {
    if (e.kind !== 'unmatched' || warnings.some((w) => w.historyIndex === e.historyIndex)) continue;
    const h = history[e.historyIndex]!;
    warnings.push({
      code: 'W_DF_UNMATCHED_ENTRY',
      message: `history entry ${e.historyIndex} (${ws(h.createdBy).slice(0, 60)}) matches no instruction of ${df.path}`,
      historyIndex: e.historyIndex,
    });
  }
  const matchedIns = new Set(matchOf.values());
  const expected = chain.map((ins, i) => ({ ins, i })).filter(({ ins }) => recorded(ins, builder));
  for (const { ins, i } of expected) {
    if (!matchedIns.has(i)) warnings.push({ code: 'W_DF_UNMATCHED_INSTRUCTION', message: `${label(ins)} matches no history entry of the image`, line: ins.startLine });
  }
  // Ambiguous candidates still belong to this Dockerfile: they count against "another image".
  const candidateIns = new Set([...late.values(), ...early.values()]);
  const hits = expected.filter(({ i }) => candidateIns.has(i)).length;
  if (expected.length > 0 && hits * 2 < expected.length) {
    throw new ImgsizeError('E_DOCKERFILE_MISMATCH', `${df.path} does not belong to this image: ${expected.length - hits} of its ${expected.length} final-stage instructions match no history entry`, {
      hint: 'pass the Dockerfile the image was built from (the final stage is compared with the image history)',
    });
  }
  const layers: (HistoryLocation | null)[] = new Array(layerCount).fill(null);
  for (const e of entries) if (e.layer !== null && e.layer < layerCount) layers[e.layer] = e;
  return { builder, entries, layers, warnings };
}
