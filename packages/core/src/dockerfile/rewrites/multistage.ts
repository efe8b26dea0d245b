/**
 * The multi-stage skeleton for build tools (issue 12, a "review" rewrite): a single-stage
 * Dockerfile that installs compilers with apt-get and then builds with `pip install` becomes a
 * `builder` stage (the original instructions up to the pip RUN, pip installing with
 * `--root=/install`) and a final stage without the build tools and -dev packages that copies only
 * what pip installed (`COPY --from=builder /install /`: the same paths as before). Shapes it does
 * not understand get no hunk and a reason (`RewriteDeclined`).
 */
import type { DockerfileInstruction, ParsedDockerfile } from '../parse.js';
import { aptDropSavings, aptInstallNames } from './apt-closure.js';
import { isPlainRun, layersOf, rawLines, splitAndChain } from './shell.js';
import type { LocatedFinding, Rewrite, RewriteDeclined, RewriteResult } from './types.js';

const FAMILY = 'multistage-build-tools';
const BUILDER = 'builder';
const ROOT = '/install';
/** Debian/Ubuntu packages that are build tools (compilers, binutils, make and friends). */
export const BUILD_TOOL_DEB = /^(?:build-essential|gcc|g\+\+|cpp|gfortran|clang|lld|make|cmake|ninja-build|autoconf|automake|libtool|pkg-config|pkgconf|bison|flex|binutils|dpkg-dev|(?:gcc|g\+\+|cpp|gfortran|clang|lld|llvm)-[0-9][0-9.]*)$/;
const DEV_DEB = /-dev$/;
/** One `pip install` command (the executable, then `install`). */
const PIP_CMD = /^((?:\S*\/)?(?:pip3?(?:\.\d+)?|python3?(?:\.\d+)?\s+-m\s+pip))\s+install(?=\s|$)/;
const PIP_ANYWHERE = /\b(?:pip3?(?:\.\d+)?|-m\s+pip)\s+install\b/;
/** pip options that already choose where files go (or link the source tree in place). */
const PIP_LOCATION = /(?:^|\s)(?:--user|--target|-t|--prefix|--root|-e|--editable)(?:[=\s]|$)/;
/** A RUN that calls a compiler or a build system outside pip. */
const COMPILES = /(?:^|[\s;&|(/])(?:gcc|g\+\+|cc|c\+\+|clang|make|cmake|ninja|\.\/configure|cargo|go\s+build|nvcc)(?=\s|$)/;
/** The commands an apt RUN may consist of when it is removed because nothing is left to install. */
const APT_ONLY = /^(?:apt-get\s+(?:-\S+\s+)*(?:update|clean|install)\b.*|rm\s+-rf?\s+\/var\/lib\/apt\/lists\/?\*?)$/;

function declined(why: string): RewriteDeclined {
  return { family: FAMILY, declined: why };
}

/** The raw lines of `ins` without the words `names` (a continuation line left empty goes). */
function withoutWords(df: ParsedDockerfile, ins: DockerfileInstruction, names: readonly string[]): string[] {
  const re = new RegExp(`(^|\\s)(?:${names.map((n) => n.replace(/[.+]/g, '\\$&')).join('|')})(?:[=:]\\S*)?(?=\\s|$)`, 'g');
  const esc = df.escape === '`' ? '`' : '\\\\';
  const empty = new RegExp(`^\\s*${esc}\\s*$`);
  return rawLines(df, ins)
    .map((l, i) => (i > 0 && /^\s*#/.test(l) ? l : l.replace(re, '')))
    .filter((l, i) => i === 0 || !empty.test(l));
}

/**
 * Single stage + an apt-get install of build tools + one `pip install` RUN after it → builder
 * stage + final stage without the build tools (review). Predicted savings: the packages apt then
 * does not install (apt-closure.ts).
 */
export const multiStageBuildTools: Rewrite = (df, f): RewriteResult | RewriteDeclined | null => {
  const last = df.stages[df.stages.length - 1]!;
  const copiesFromBuilder = last.instructions.some((i) => i.keyword === 'COPY' && i.flags.some((x) => x.name === 'from' && x.value === BUILDER));
  if (df.stages.length === 2 && df.stages[0]!.name === BUILDER && copiesFromBuilder) return null; // already applied
  if (df.stages.length !== 1) return declined(`the Dockerfile has ${df.stages.length} stages; only a single-stage one is split into builder and final stages`);
  const stage = last;
  const fromLines = rawLines(df, stage.from);
  const from = /^(\s*FROM\s+(?:--\S+\s+)*\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(fromLines[0]!);
  if (fromLines.length !== 1 || !from) return declined(`${df.path}:${stage.from.startLine}: a FROM over several lines is not rewritten`);
  if (stage.name === BUILDER) return declined(`the stage is already named "${BUILDER}"`);
  // the RUN that installs the build tools, as the finding located it
  const seen = new Set<DockerfileInstruction>();
  for (const i of [f.main, ...f.byLayer.values()]) if (i && i.keyword === 'RUN' && i.stage === stage.index) seen.add(i);
  const aptRuns = [...seen].filter((i) => aptInstallNames(i.args).names.some((n) => BUILD_TOOL_DEB.test(n)));
  if (aptRuns.length === 0) return declined('the build tools are not installed by an apt-get install of this Dockerfile (the base image or another installer brings them)');
  if (aptRuns.length > 1) return declined(`build tools are installed by ${aptRuns.length} RUNs (${aptRuns.map((i) => `${df.path}:${i.startLine}`).join(', ')})`);
  const apt = aptRuns[0]!;
  const aptParts = isPlainRun(apt) ? splitAndChain(apt.args) : null;
  if (!aptParts) return declined(`${df.path}:${apt.startLine} is not a plain shell RUN of && commands`);
  if (PIP_ANYWHERE.test(apt.args)) return declined(`${df.path}:${apt.startLine} installs the build tools and builds in the same RUN`);
  const { names, literal } = aptInstallNames(apt.args);
  if (!literal) return declined(`${df.path}:${apt.startLine} names packages through variables or files`);
  const drop = names.filter((n) => BUILD_TOOL_DEB.test(n) || DEV_DEB.test(n));
  const keep = names.filter((n) => !drop.includes(n));
  // what builds with the tools: exactly one pip install, after them
  const after = stage.instructions.filter((i) => i.index > apt.index);
  const pips = after.filter((i) => i.keyword === 'RUN' && PIP_ANYWHERE.test(i.exec ? i.exec.join(' ') : i.args));
  if (pips.length === 0) return declined('no pip install after the build tools: which products a builder stage should hand over is not known');
  if (pips.length > 1) return declined(`${pips.length} RUNs install with pip (${pips.map((i) => `${df.path}:${i.startLine}`).join(', ')}); in a builder each would not see the others' packages`);
  const pip = pips[0]!;
  const pipParts = isPlainRun(pip) ? splitAndChain(pip.args) : null;
  if (!pipParts || pipParts.length !== 1 || !PIP_CMD.test(pipParts[0]!)) return declined(`${df.path}:${pip.startLine} does more than one pip install`);
  if (PIP_LOCATION.test(pip.args)) return declined(`${df.path}:${pip.startLine} already chooses where pip installs (--user, --target, --prefix, --root or --editable)`);
  const compiler = after.find((i) => i !== pip && i.keyword === 'RUN' && COMPILES.test(i.exec ? i.exec.join(' ') : i.args));
  if (compiler) return declined(`${df.path}:${compiler.startLine} runs a compiler or build system outside pip; its products are not known`);
  const removeApt = keep.length === 0;
  if (removeApt && !aptParts.every((p) => APT_ONLY.test(p.replace(/\s+/g, ' ').trim()))) return declined(`${df.path}:${apt.startLine} installs only build tools but also does other work`);

  // builder: everything up to the pip RUN, which installs under /install
  const pipLines = rawLines(df, pip);
  const pipEdited = pipLines.map((l) => l.replace(/((?:^|[\s&])(?:\S*\/)?(?:pip3?(?:\.\d+)?|python3?(?:\.\d+)?\s+-m\s+pip)\s+install)(?=\s|$)/, `$1 --root=${ROOT}`));
  if (pipEdited.every((l, i) => l === pipLines[i])) return declined(`${df.path}:${pip.startLine}: the pip install is not on a line it can edit`);
  const L = df.lines;
  const builderFrom = from[2] ? fromLines[0]!.replace(/(\s+AS\s+)\S+\s*$/i, `$1${BUILDER}`) : `${fromLines[0]!.trimEnd()} AS ${BUILDER}`;
  const out: string[] = [...L.slice(0, stage.from.startLine - 1), builderFrom, ...L.slice(stage.from.endLine, pip.startLine - 1), ...pipEdited, '', fromLines[0]!];
  // final: the same instructions, without the build tools, with pip's files copied in
  let at = stage.from.endLine; // next original line (0-based index into L) to copy
  for (const ins of [apt, pip]) {
    out.push(...L.slice(at, ins.startLine - 1));
    if (ins === apt) {
      if (!removeApt) out.push(...withoutWords(df, apt, drop));
    } else out.push(`COPY --from=${BUILDER} ${ROOT} /`);
    at = ins.endLine;
  }
  out.push(...L.slice(at));
  const text = out.join(df.eol) + (df.text.endsWith('\n') ? df.eol : '');
  // instruction correspondence: builder instructions are new, the final stage's are the originals
  const liveMap: Array<number | null> = [];
  for (const i of df.instructions) if (i.stage < 0) liveMap.push(i.index);
  liveMap.push(null);
  for (const i of stage.instructions) if (i.index <= pip.index) liveMap.push(null);
  liveMap.push(stage.from.index);
  for (const i of stage.instructions) if (!(i === apt && removeApt)) liveMap.push(i.index);

  const layers = new Set(layersOf(f.byLayer, apt));
  const namedElsewhere = new Set<string>();
  for (const i of stage.instructions) if (i !== apt && i.keyword === 'RUN') for (const n of aptInstallNames(i.args).names) namedElsewhere.add(n);
  const s = aptDropSavings({ packages: f.packages ?? [], layers, run: apt, originalRun: f.original?.(apt), namedElsewhere, drop });
  const libs = s.removed.filter((n) => !drop.includes(n) && /^lib.*\d/.test(n) && !DEV_DEB.test(n) && !BUILD_TOOL_DEB.test(n));
  return {
    family: FAMILY,
    review: true,
    summary: `build in a "${BUILDER}" stage (pip install --root=${ROOT}, ${df.path}:${pip.startLine}) and copy only its files into a final stage without ${drop.join(', ')} (${df.path}:${apt.startLine})`,
    file: 'Dockerfile',
    text,
    bytes: s.bytes,
    compressedBytes: s.compressedBytes,
    liveMap,
    dropsPackages: s.removed,
    note:
      `predicted: the packages apt then does not install (${s.removed.length}, by the image's dpkg dependencies${s.basis === 'apt-marks' ? " and apt's auto-installed marks" : ''})` +
      (libs.length > 0 ? `; shared libraries among them (${libs.slice(0, 6).join(', ')}${libs.length > 6 ? ', …' : ''}): add to the final stage the ones the built modules link` : '') +
      '; keep the tools if the application compiles at run time',
  };
};

export type { LocatedFinding };
