/**
 * Dockerfile parsing for `analyze --dockerfile` and `fix`. Built on `dockerfile-ast` (the parser of
 * VS Code's Docker language server: ranges per instruction, flags, heredocs, directives), with the
 * builder's own rules layered on top where the AST is lenient: the command text as the builder
 * sees it (continuations joined, comment lines inside a continuation dropped, heredoc bodies kept
 * verbatim), ARG/ENV expansion, stages, and the syntax errors the builder would refuse.
 */
import type * as DockerfileAst from 'dockerfile-ast';
import type { Instruction as AstInstruction } from 'dockerfile-ast';
import { lazyRequire } from '../lazy-require.js';
import { ImgsizeError } from '../errors.js';

const dockerfileAst = lazyRequire<typeof DockerfileAst>('dockerfile-ast');

/** Instructions the builder knows (case-insensitive); anything else is a syntax error. */
export const KNOWN_KEYWORDS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

/** A `--name=value` flag of an instruction. */
export interface DockerfileFlag {
  name: string;
  value: string | null;
}

/** One instruction, with where it is and what the builder sees. */
export interface DockerfileInstruction {
  /** Position among all instructions of the file (0-based). */
  index: number;
  /** Upper-case keyword (RUN, COPY, ...). */
  keyword: string;
  /** Stage index (-1 for ARGs before the first FROM). */
  stage: number;
  /** First and last line, 1-based, inclusive (heredoc bodies and continuations included). */
  startLine: number;
  endLine: number;
  flags: DockerfileFlag[];
  /** Arguments after the flags, continuations joined, comment lines dropped (heredoc bodies verbatim). */
  args: string;
  /** JSON (exec) form: the parsed array; null for shell form. */
  exec: string[] | null;
  /** Heredoc names used by the instruction (`RUN <<EOF`). */
  heredocs: string[];
  /** `args` with ARG/ENV values in scope substituted (what the builder records for non-RUN instructions). */
  expanded: string;
}

/** One build stage: its FROM and the instructions after it. */
export interface DockerfileStage {
  index: number;
  /** `AS name`, lower-cased, when given. */
  name: string | null;
  /** The FROM image after ARG expansion. */
  baseImage: string;
  /** Index of the stage the FROM names (`FROM build`), else null (an external image). */
  parentStage: number | null;
  from: DockerfileInstruction;
  /** Instructions after the FROM, in order. */
  instructions: DockerfileInstruction[];
}

/** A parsed Dockerfile. */
export interface ParsedDockerfile {
  /** Path as given (for messages and `Dockerfile:12` labels). */
  path: string;
  text: string;
  /** Lines without their terminators (index 0 is line 1). */
  lines: string[];
  /** Line terminator used by the file (`\n` or `\r\n`). */
  eol: string;
  escape: string;
  syntax: string | null;
  instructions: DockerfileInstruction[];
  stages: DockerfileStage[];
}

/** Options: build args override ARG defaults (as `--build-arg`). */
export interface ParseDockerfileOptions {
  path?: string | undefined;
  buildArgs?: Readonly<Record<string, string>> | undefined;
}

function syntaxError(path: string, line: number, what: string): ImgsizeError {
  return new ImgsizeError('E_DOCKERFILE_SYNTAX', `${path}:${line}: ${what}`, { hint: 'the builder would refuse this Dockerfile too; fix it and run again' });
}

/** Joins continuation lines the way the builder does: escape + newline removed, comment lines inside dropped. */
export function joinContinuations(lines: readonly string[], escape: string): string {
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > 0 && /^\s*#/.test(line)) continue;
    if (i > 0 && line.trim() === '' && i < lines.length - 1) continue;
    const m = new RegExp(`^(.*?)${escape === '`' ? '`' : '\\\\'}[ \\t]*$`).exec(line);
    if (m && i < lines.length - 1) out += m[1];
    else {
      out += line;
      break;
    }
  }
  return out;
}

const FLAG = /^--([A-Za-z][\w-]*)(?:=(\S*))?(?:\s+|$)/;

/** Splits leading `--flag[=value]` tokens off an argument string. */
export function splitFlags(s: string): { flags: DockerfileFlag[]; rest: string } {
  const flags: DockerfileFlag[] = [];
  let rest = s.trimStart();
  for (let m = FLAG.exec(rest); m; m = FLAG.exec(rest)) {
    flags.push({ name: m[1]!.toLowerCase(), value: m[2] ?? null });
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** Parses a JSON exec-form array, or null when `s` is not one. */
export function parseExecForm(s: string): string[] | null {
  const t = s.trim();
  if (!t.startsWith('[')) return null;
  try {
    const v = JSON.parse(t) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

/** Substitutes `$X`, `${X}`, `${X:-d}`, `${X:+a}` from `vars` (unknown names become empty, like the builder). */
export function expandVars(s: string, vars: ReadonlyMap<string, string>, escape = '\\'): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === escape && s[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (c !== '$') {
      out += c;
      continue;
    }
    if (s[i + 1] === '{') {
      const end = s.indexOf('}', i + 2);
      if (end < 0) {
        out += s.slice(i);
        break;
      }
      const body = s.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?$/s.exec(body);
      if (!m) out += s.slice(i, end + 1);
      else {
        const v = vars.get(m[1]!);
        if (m[2] === '-') out += v !== undefined && v !== '' ? v : m[3]!;
        else if (m[2] === '+') out += v !== undefined && v !== '' ? m[3]! : '';
        else out += v ?? '';
      }
      i = end;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (!m) {
      out += c;
      continue;
    }
    out += vars.get(m[0]) ?? '';
    i += m[0].length;
  }
  return out;
}

/** `K=V K2="v 2"` or legacy `K V` pairs of ENV / ARG / LABEL, quotes removed. */
export function parseKeyValues(s: string, legacy: boolean): Array<[string, string | undefined]> {
  const t = s.trim();
  if (legacy && !/^[^\s=]+=/.test(t)) {
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(t);
    return m ? [[m[1]!, m[2]?.trim()]] : [];
  }
  const out: Array<[string, string | undefined]> = [];
  const re = /\s*([^\s=]+)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|(?:[^\s"'\\]|\\.)*))?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) && m[0] !== '') {
    const raw = m[2];
    let v: string | undefined;
    if (raw === undefined) v = undefined;
    else if (raw.startsWith('"')) v = raw.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (raw.startsWith("'")) v = raw.slice(1, -1);
    else v = raw.replace(/\\(.)/g, '$1');
    out.push([m[1]!, v]);
  }
  return out;
}

/**
 * Parses a Dockerfile. Throws E_DOCKERFILE_SYNTAX (with `path:line`) for what the builder refuses:
 * unknown instructions, no FROM, instructions other than ARG before the first FROM, a FROM without
 * an image, malformed exec-form JSON where only JSON is accepted, an unterminated heredoc.
 */
export function parseDockerfile(text: string, options: ParseDockerfileOptions = {}): ParsedDockerfile {
  const path = options.path ?? 'Dockerfile';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const ast = dockerfileAst().DockerfileParser.parse(text);
  const escape = ast.getEscapeCharacter();
  const syntax = ast.getDirectives().find((d) => d.getName() === 'syntax')?.getValue() ?? null;
  const buildArgs = new Map(Object.entries(options.buildArgs ?? {}));
  const globalArgs = new Map<string, string>();
  const instructions: DockerfileInstruction[] = [];
  const stages: DockerfileStage[] = [];
  let vars = new Map<string, string>();
  let stageIdx = -1;
  const stageVars = new Map<number, Map<string, string>>();

  for (const node of ast.getInstructions() as AstInstruction[]) {
    const r = node.getRange();
    const startLine = r.start.line + 1;
    let endLine = r.end.line + 1;
    const keyword = node.getKeyword().toUpperCase();
    if (!KNOWN_KEYWORDS.has(keyword)) throw syntaxError(path, startLine, `unknown instruction ${node.getInstruction()}`);
    const heredocs = 'getHeredocs' in node ? (node as unknown as { getHeredocs(): Array<{ getName(): string; getDelimiterRange(): unknown }> }).getHeredocs() : [];
    for (const h of heredocs) {
      if (h.getDelimiterRange() === null) throw syntaxError(path, startLine, `heredoc <<${h.getName()} is never terminated`);
    }
    // Heredoc bodies may extend past the AST's range on some inputs: trust the delimiter line.
    const raw = lines.slice(startLine - 1, endLine);
    const first = raw[0]!.replace(/^\s*\S+\s?/, '');
    let argText: string;
    if (heredocs.length > 0) {
      const head = joinContinuations([first, ...raw.slice(1)].slice(0, 1), escape);
      argText = [head, ...raw.slice(1)].join('\n');
    } else {
      argText = joinContinuations([first, ...raw.slice(1)], escape);
    }
    const { flags, rest } = splitFlags(argText);
    const args = rest.trim();
    let exec: string[] | null = null;
    if (['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'VOLUME', 'COPY', 'ADD'].includes(keyword) && args.startsWith('[')) {
      exec = parseExecForm(args);
      if (exec === null && keyword === 'SHELL') throw syntaxError(path, startLine, 'SHELL requires a JSON array');
    }
    if (keyword !== 'ARG' && keyword !== 'FROM' && stageIdx < 0) throw syntaxError(path, startLine, `${keyword} before the first FROM`);
    if (keyword === 'FROM') {
      const parts = args.split(/\s+/).filter(Boolean);
      if (parts.length === 0 || (parts.length > 1 && !(parts.length === 3 && parts[1]!.toUpperCase() === 'AS'))) {
        throw syntaxError(path, startLine, 'FROM takes an image and an optional "AS name"');
      }
      stageIdx++;
      vars = new Map<string, string>();
      const image = expandVars(parts[0]!, new Map([...globalArgs]), escape);
      const name = parts[2]?.toLowerCase() ?? null;
      const parent = stages.find((s) => s.name !== null && s.name === image.toLowerCase());
      const ins: DockerfileInstruction = { index: instructions.length, keyword, stage: stageIdx, startLine, endLine, flags, args, exec, heredocs: [], expanded: args.replace(parts[0]!, image) };
      instructions.push(ins);
      stages.push({ index: stageIdx, name, baseImage: image, parentStage: parent ? parent.index : null, from: ins, instructions: [] });
      // A stage built FROM another stage inherits its variables (ENV, and ARGs already declared).
      if (parent) vars = new Map(stageVars.get(parent.index) ?? []);
      continue;
    }
    if (keyword === 'ARG' && stageIdx < 0) {
      for (const [k, v] of parseKeyValues(args, false)) {
        const val = buildArgs.get(k) ?? (v === undefined ? undefined : expandVars(v, globalArgs, escape));
        if (val !== undefined) globalArgs.set(k, val);
      }
      instructions.push({ index: instructions.length, keyword, stage: -1, startLine, endLine, flags, args, exec, heredocs: [], expanded: args });
      continue;
    }
    const expanded = keyword === 'RUN' || exec !== null ? args : expandVars(args, vars, escape);
    const ins: DockerfileInstruction = { index: instructions.length, keyword, stage: stageIdx, startLine, endLine, flags, args, exec, heredocs: heredocs.map((h) => h.getName()), expanded };
    instructions.push(ins);
    stages[stageIdx]!.instructions.push(ins);
    if (keyword === 'ARG') {
      for (const [k, v] of parseKeyValues(args, false)) {
        const val = buildArgs.get(k) ?? (v === undefined ? globalArgs.get(k) : expandVars(v, vars, escape));
        if (val !== undefined) vars.set(k, val);
        else vars.delete(k);
      }
    } else if (keyword === 'ENV') {
      for (const [k, v] of parseKeyValues(args, true)) vars.set(k, expandVars(v ?? '', vars, escape));
    }
    stageVars.set(stageIdx, vars);
  }
  if (stages.length === 0) throw syntaxError(path, Math.max(1, lines.length), 'no FROM instruction');
  return { path, text, lines, eol, escape, syntax, instructions, stages };
}

/** The instructions whose history the final image carries: the final stage's, after those of the stages it is built FROM. */
export function finalChain(df: ParsedDockerfile): { root: DockerfileStage; instructions: DockerfileInstruction[] } {
  const chain: DockerfileStage[] = [];
  let s: DockerfileStage | undefined = df.stages[df.stages.length - 1];
  while (s) {
    chain.unshift(s);
    s = s.parentStage === null ? undefined : df.stages[s.parentStage];
  }
  return { root: chain[0]!, instructions: chain.flatMap((st) => st.instructions) };
}

/** `Dockerfile:12` or `Dockerfile:12-14`, with the file's base name. */
export function locationLabel(path: string, startLine: number, endLine: number): string {
  const base = path.split(/[\\/]/).pop() || path;
  return startLine === endLine ? `${base}:${startLine}` : `${base}:${startLine}-${endLine}`;
}
