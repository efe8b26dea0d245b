/**
 * The rewrite families (issue 12): each a pure function of (parsed Dockerfile, located finding).
 * Safe ones keep what the image does; `review` ones may change behaviour and are proposed apart.
 */
import type { DockerfileInstruction, ParsedDockerfile } from '../parse.js';
import { appendToRun, bytesIn, editRunLines, isPlainRun, layersOf, rawLines, replaceLines, splitAndChain, words } from './shell.js';
import { aptDropSavings, aptInstallNames } from './apt-closure.js';
import { multiStageBuildTools } from './multistage.js';
import type { LocatedFinding, Rewrite, RewriteResult } from './types.js';

const PIP_INSTALL = /\b((?:pip3?|python3?(?:\.\d+)? -m pip)\s+install)\b/g;

function result(family: string, summary: string, text: string | null, f: LocatedFinding, layers: number[], extra: Partial<RewriteResult> = {}): RewriteResult | null {
  if (text === null) return null;
  return { family, review: false, summary, file: 'Dockerfile', text, ...bytesIn(f.layerBytes, layers), ...extra };
}

/** The RUN instructions among the finding's layers (the main one first). */
function runsOf(f: LocatedFinding): DockerfileInstruction[] {
  const out: DockerfileInstruction[] = [];
  for (const ins of [f.main, ...f.byLayer.values()]) if (ins && ins.keyword === 'RUN' && !out.includes(ins)) out.push(ins);
  return out;
}

/** `pip install` → `pip install --no-cache-dir` in the RUN that left the pip cache. */
export const pipNoCacheDir: Rewrite = (df, f) => {
  for (const ins of runsOf(f)) {
    if (!isPlainRun(ins) || !PIP_INSTALL.test(ins.args)) continue;
    PIP_INSTALL.lastIndex = 0;
    if (/--no-cache-dir|PIP_NO_CACHE_DIR/.test(ins.args)) continue;
    const text = editRunLines(df, ins, (l) => l.replace(PIP_INSTALL, '$1 --no-cache-dir'));
    return result('pip-no-cache-dir', `add --no-cache-dir to pip install (${df.path}:${ins.startLine})`, text, f, layersOf(f.byLayer, ins));
  }
  return null;
};

/** The RUN that runs `apt-get update` ends with `rm -rf /var/lib/apt/lists/*`. */
export const aptListsCleanup: Rewrite = (df, f) => {
  for (const ins of runsOf(f)) {
    if (!/\bapt(?:-get)?\s+update\b/.test(ins.args) || /\/var\/lib\/apt\/lists/.test(ins.args)) continue;
    const text = appendToRun(df, ins, 'rm -rf /var/lib/apt/lists/*');
    return result('apt-lists-cleanup', `remove the apt lists in the RUN that downloads them (${df.path}:${ins.startLine})`, text, f, layersOf(f.byLayer, ins));
  }
  return null;
};

/** The RUN that installs .debs cleans apt's archive cache in the same layer. */
export const aptCacheClean: Rewrite = (df, f) => {
  for (const ins of runsOf(f)) {
    if (!/\bapt(?:-get)?\s+(?:install|upgrade|dist-upgrade)\b/.test(ins.args) || /\bapt(?:-get)? clean\b|\/var\/cache\/apt/.test(ins.args)) continue;
    const text = appendToRun(df, ins, 'apt-get clean');
    return result('apt-cache-clean', `apt-get clean in the RUN that installs packages (${df.path}:${ins.startLine})`, text, f, layersOf(f.byLayer, ins));
  }
  return null;
};

/** `conda|mamba|micromamba install/create` gains `clean -afy` in the same RUN. */
export const condaClean: Rewrite = (df, f) => {
  for (const ins of runsOf(f)) {
    // the same executable as the install (`/opt/conda/bin/conda` need not be on PATH)
    const m = /(?:^|[\s;&|(])((?:[\w./-]*\/)?(conda|mamba|micromamba))\s+(?:install|create|update|env\s+(?:create|update))\b/.exec(ins.args);
    if (!m || /\b(?:conda|mamba|micromamba)\s+clean\b/.test(ins.args)) continue;
    const cmd = m[2] === 'micromamba' ? `${m[1]} clean --all --yes` : `${m[1]} clean -afy`;
    const text = appendToRun(df, ins, cmd);
    return result('conda-clean', `${cmd} after the conda install (${df.path}:${ins.startLine})`, text, f, layersOf(f.byLayer, ins));
  }
  return null;
};

/** `opencv-python` → `opencv-python-headless` (and the contrib variant) where a RUN installs it by name. */
export const opencvHeadless: Rewrite = (df, f) => {
  const RE = /(^|[\s"'=])(opencv-(?:contrib-)?python)(?![-\w])/g;
  for (const ins of runsOf(f)) {
    if (!isPlainRun(ins) || !/\bpip3?\b|-m pip\b/.test(ins.args) || !RE.test(ins.args)) continue;
    RE.lastIndex = 0;
    const text = editRunLines(df, ins, (l) => l.replace(RE, '$1$2-headless'));
    return result('opencv-headless', `install opencv-python-headless instead of opencv-python (${df.path}:${ins.startLine})`, text, f, layersOf(f.byLayer, ins));
  }
  return null;
};

/** `apt-get install` gains `--no-install-recommends`. */
export const aptNoRecommends: Rewrite = (df, f) => {
  for (const ins of runsOf(f)) {
    if (!/\bapt-get\s+(?:-\S+\s+)*install\b/.test(ins.args) || /--no-install-recommends|APT::Install-Recommends/.test(ins.args)) continue;
    const text = editRunLines(df, ins, (l) => l.replace(/\b(apt-get\s+(?:-\S+\s+)*install)\b/, '$1 --no-install-recommends'));
    return result('apt-no-install-recommends', `apt-get install --no-install-recommends (${df.path}:${ins.startLine})`, text, f, layersOf(f.byLayer, ins));
  }
  return null;
};

const RM = /^rm\s+(?:-[rRfv]+\s+)*(?:--\s+)?\S/;

/**
 * A later RUN that only deletes (`rm -rf …`, possibly `&&`-chained) moves into the RUN that created
 * the files: appended there, and the later RUN is removed. One hunk from the creating RUN to the
 * deleting one.
 */
export const moveCleanup: Rewrite = (df, f) => {
  const layers = [...f.byLayer.keys()].sort((a, b) => a - b);
  if (layers.length < 2) return null;
  const ship = f.byLayer.get(layers[0]!);
  const del = f.byLayer.get(layers[layers.length - 1]!);
  if (!isPlainRun(ship) || !isPlainRun(del) || ship === del || ship.stage !== del.stage || ship.endLine >= del.startLine) return null;
  const parts = splitAndChain(del.args);
  if (!parts || !parts.every((p) => RM.test(p))) return null;
  const appended = appendToRun(df, ship, parts.join(' && '));
  if (appended === null) return null;
  // Remove the deleting RUN from the appended text: its lines moved down by one (the added line).
  const lines = appended.split(/\r?\n/);
  if (appended.endsWith('\n')) lines.pop();
  const start = del.startLine + 1;
  const end = del.endLine + 1;
  const next = [...lines.slice(0, start - 1), ...lines.slice(end)];
  const text = next.join(df.eol) + df.eol;
  return result('move-cleanup', `move "${parts.join(' && ')}" (${df.path}:${del.startLine}) into the RUN that created the files (${df.path}:${ship.startLine})`, text, f, layersOf(f.byLayer, ship), { removes: [del.index] });
};

const CHMOD = /^chmod\s+(-R\s+)?([0-7]{3,4})\s+(\S+)$/;
const CHOWN = /^chown\s+(-R\s+)?([\w.-]+(?::[\w.-]+)?)\s+(\S+)$/;
const clean = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/**
 * `chmod -R` / `chown -R` in a later RUN over what a COPY just shipped → `COPY --chmod/--chown`,
 * and the RUN goes. `--chmod` needs BuildKit: under the classic builder the hunk is a review one.
 */
export const copyPermissions: Rewrite = (df, f) => {
  const layers = [...f.byLayer.keys()].sort((a, b) => a - b);
  if (layers.length < 2) return null;
  const copy = f.byLayer.get(layers[0]!);
  const run = f.byLayer.get(layers[layers.length - 1]!);
  if (!copy || (copy.keyword !== 'COPY' && copy.keyword !== 'ADD') || copy.exec !== null || !isPlainRun(run) || run.stage !== copy.stage) return null;
  const parts = splitAndChain(run.args);
  if (!parts) return null;
  const dest = clean(copy.expanded.split(/\s+/).filter(Boolean).pop() ?? '');
  const flags: string[] = [];
  for (const p of parts) {
    const w = words(p).join(' ');
    const m = CHMOD.exec(w) ?? CHOWN.exec(w);
    if (!m || clean(m[3]!) !== dest || !dest.startsWith('/')) return null;
    const name = w.startsWith('chmod') ? 'chmod' : 'chown';
    if (copy.flags.some((fl) => fl.name === name)) return null;
    flags.push(`--${name}=${m[2]}`);
  }
  const lines = rawLines(df, copy);
  const first = lines[0]!.replace(/^(\s*\S+)(\s+)/, `$1 ${flags.join(' ')}$2`);
  const withFlags = [first, ...lines.slice(1)];
  const all = [...df.lines];
  all.splice(copy.startLine - 1, lines.length, ...withFlags);
  all.splice(run.startLine - 1, run.endLine - run.startLine + 1);
  const text = all.join(df.eol) + df.eol;
  const needsBuildkit = flags.some((x) => x.startsWith('--chmod')) && f.builder !== 'buildkit';
  return result('copy-permissions', `set ${flags.join(' ')} on the COPY (${df.path}:${copy.startLine}) instead of ${parts.join(' && ')} (${df.path}:${run.startLine})`, text, f, layers, {
    review: needsBuildkit,
    removes: [run.index],
    ...(needsBuildkit && { note: 'COPY --chmod needs BuildKit (DOCKER_BUILDKIT=1); the classic builder rejects it' }),
  });
};

/** Patterns a `.dockerignore` needs for files a COPY of the whole context shipped. */
function ignorePatterns(f: LocatedFinding, copy: DockerfileInstruction): string[] | null {
  const parts = copy.exec ?? copy.expanded.split(/\s+/).filter(Boolean);
  if (parts.length !== 2 || copy.flags.some((x) => x.name === 'from')) return null;
  const src = parts[0]!.replace(/^\.\/?$/, '.').replace(/\/+$/, '');
  const dest = clean(parts[1]!);
  if (!dest.startsWith('/') || /[*?[]/.test(src)) return null;
  const out = new Set<string>();
  for (const e of f.finding.evidence) {
    const p = e.path.replace(/^\/+/, '/');
    if (!p.startsWith(`${dest === '/' ? '' : dest}/`)) continue;
    const rel = p.slice(dest === '/' ? 1 : dest.length + 1).split('/');
    const i = rel.findIndex((c) => /^(?:\.git|\.hg|\.svn|__pycache__|\.cache|\.mypy_cache|\.pytest_cache|\.tox|node_modules\/\.cache)$/.test(c));
    if (i < 0) continue;
    const comp = rel[i]!;
    const prefix = src === '.' ? '' : `${src}/`;
    out.add(comp === '__pycache__' ? `**/__pycache__` : `${prefix}${rel.slice(0, i + 1).join('/')}`);
  }
  return out.size > 0 ? [...out].sort() : null;
}

/** VCS directories and caches a `COPY . dest` shipped → `.dockerignore` entries. */
export const dockerignoreEntries: Rewrite = (df, f, files) => {
  const copy = f.main;
  if (!copy || (copy.keyword !== 'COPY' && copy.keyword !== 'ADD')) return null;
  const pats = ignorePatterns(f, copy);
  if (!pats) return null;
  const cur = files.dockerignore ?? '';
  const have = new Set(cur.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
  const add = pats.filter((p) => !have.has(p) && !have.has(`/${p}`));
  if (add.length === 0) return null;
  const text = `${cur}${cur === '' || cur.endsWith('\n') ? '' : '\n'}${add.join('\n')}\n`;
  return { family: 'dockerignore', review: false, summary: `add ${add.join(', ')} to .dockerignore (shipped by ${df.path}:${copy.startLine})`, file: '.dockerignore', text, ...bytesIn(f.layerBytes, layersOf(f.byLayer, copy)) };
};

/** Names `apt-get install`ed by the final stage's RUNs other than `except`. */
function namedByOtherRuns(df: ParsedDockerfile, except: DockerfileInstruction): Set<string> {
  const out = new Set<string>();
  for (const i of df.stages[df.stages.length - 1]!.instructions) if (i !== except && i.keyword === 'RUN') for (const n of aptInstallNames(i.args).names) out.add(n);
  return out;
}

/** What stopping `drop` in `ins` frees (apt's dependency closure), and a note saying how it was known. */
function dropSavings(df: ParsedDockerfile, f: LocatedFinding, ins: DockerfileInstruction, drop: readonly string[]): { bytes: number; compressedBytes: number; note: string; removed: string[] } {
  const layers = new Set(layersOf(f.byLayer, ins));
  const s = aptDropSavings({ packages: f.packages ?? [], layers, run: ins, originalRun: f.original?.(ins), namedElsewhere: namedByOtherRuns(df, ins), drop });
  const also = s.removed.filter((n) => !drop.includes(n));
  const how =
    s.basis === 'named-only'
      ? 'predicted: the named packages only (the install names packages through variables and the image has no apt marks: what they pulled in is not counted)'
      : `predicted: ${drop.join(', ')}${also.length > 0 ? ` and what only they pulled in (${also.length <= 8 ? also.join(', ') : `${also.slice(0, 8).join(', ')}, … ${also.length - 8} more`})` : ''}, by the image's dpkg dependencies${s.basis === 'apt-marks' ? " and apt's auto-installed marks" : ''}`;
  return { bytes: s.bytes, compressedBytes: s.compressedBytes, note: how, removed: s.removed };
}

/** Drops explicitly installed `-dev` packages from `apt-get install` (review: something may link against them). */
export const dropDevPackages: Rewrite = (df, f) => {
  const dev = new Set((f.packages ?? []).filter((p) => p.manager === 'dpkg' && /-dev$/.test(p.name)).map((p) => p.name));
  for (const ins of runsOf(f)) {
    if (!isPlainRun(ins) || !/\bapt-get\s+(?:-\S+\s+)*install\b/.test(ins.args)) continue;
    const named = words(ins.args).map((w) => w.replace(/[=:].*$/, '')).filter((w) => dev.has(w));
    if (named.length === 0) continue;
    const re = new RegExp(`(^|\\s)(?:${named.map((n) => n.replace(/[.+]/g, '\\$&')).join('|')})(?:[=:]\\S*)?(?=\\s|$)`, 'g');
    const text = editRunLines(df, ins, (l) => l.replace(re, ''));
    if (text === null) continue;
    const { bytes, compressedBytes, note, removed } = dropSavings(df, f, ins, named);
    return { family: 'drop-dev-packages', review: true, summary: `do not install ${named.join(', ')} (${df.path}:${ins.startLine})`, file: 'Dockerfile', text, bytes, compressedBytes, dropsPackages: removed, note: `${note}; headers and static libraries are needed only to compile` };
  }
  return null;
};

/** `FROM nvidia/cuda:X-devel-os` → `-runtime-os` for the final stage (review: nvcc and headers go). */
export const cudaRuntimeBase: Rewrite = (df, f) => {
  const from = df.stages[df.stages.length - 1]!.from;
  const lines = rawLines(df, from);
  if (lines.length !== 1 || !/cuda[^\s]*:[^\s]*-devel\b/.test(lines[0]!)) return null;
  const text = replaceLines(df, from.startLine, from.endLine, [lines[0]!.replace(/-devel\b/, '-runtime')]);
  return { family: 'cuda-runtime-base', review: true, summary: `final stage FROM the CUDA runtime image (${df.path}:${from.startLine})`, file: 'Dockerfile', text, ...bytesIn(f.layerBytes, []), note: 'keep -devel only if the application compiles CUDA code at run time' };
};

/** The rewrites tried for each finding id, in order (the first that applies wins per family). */
export const REWRITES_BY_FINDING: Readonly<Record<string, readonly Rewrite[]>> = {
  'pip-cache': [pipNoCacheDir, dockerignoreEntries],
  'apt-lists': [aptListsCleanup],
  'apt-cache': [aptCacheClean],
  'conda-cache': [condaClean, dockerignoreEntries],
  'opencv-gui': [opencvHeadless],
  'cleanup-in-later-layer': [moveCleanup],
  'wasted-bytes': [copyPermissions],
  vcs: [dockerignoreEntries],
  'package-manager-cache': [dockerignoreEntries],
  'python-bytecode': [dockerignoreEntries],
  'apt-recommends': [aptNoRecommends],
  'dev-files': [dropDevPackages],
  'build-tools': [multiStageBuildTools],
  'cuda-devel': [cudaRuntimeBase],
};

/** Order in which rewrites are applied (and hunks listed). */
export const REWRITE_ORDER: readonly Rewrite[] = [
  pipNoCacheDir,
  condaClean,
  aptListsCleanup,
  aptCacheClean,
  moveCleanup,
  dockerignoreEntries,
  copyPermissions,
  opencvHeadless,
  aptNoRecommends,
  // before dropDevPackages: the builder stage keeps the -dev packages the build needs
  multiStageBuildTools,
  dropDevPackages,
  cudaRuntimeBase,
];

export type { ParsedDockerfile };
