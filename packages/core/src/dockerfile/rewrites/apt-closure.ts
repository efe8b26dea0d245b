/**
 * What a rewrite that stops `apt-get install`ing some packages really frees: the packages apt
 * would then not install (or `apt-get autoremove` would remove), not only the ones named. Computed
 * from the image's dpkg records (Depends/Pre-Depends, Recommends, Provides) and, when the image has
 * /var/lib/apt/extended_states, apt's Auto-Installed marks: a package goes when it was installed by
 * the RUN being edited and nothing that stays needs it (the packages of other layers, and the ones
 * the RUN still asks for or that apt marks as asked for).
 */
import type { PackageReport } from '../../report-schema.js';
import type { DockerfileInstruction } from '../parse.js';

/** Words after `apt-get install` / `apt install` in a shell command (options skipped). */
export function aptInstallNames(args: string): { names: string[]; literal: boolean } {
  const names: string[] = [];
  let literal = true;
  for (const cmd of args.split(/&&|\|\||;|\||\n/)) {
    const w = cmd.trim().split(/\s+/).filter(Boolean);
    const i = w.findIndex((x, k) => x === 'install' && k > 0 && w.slice(0, k).some((y) => /^(?:\S*\/)?apt(?:-get)?$/.test(y)));
    if (i < 0) continue;
    for (const raw of w.slice(i + 1)) {
      if (raw.startsWith('-')) continue;
      const x = raw.replace(/^(['"])(.*)\1$/, '$2');
      // a variable, substitution, glob or a .deb path: which packages it names is not in the text
      if (/[$`*?[\]{}<>]/.test(x) || x.includes('/') || x.endsWith('.deb')) {
        literal = false;
        continue;
      }
      const name = x.replace(/[=:].*$/, '');
      if (/^[a-z0-9][a-z0-9+.-]+$/.test(name)) names.push(name);
    }
  }
  return { names, literal };
}

/** Inputs of `aptDropSavings`. */
export interface AptDropInput {
  /** The report's packages (dpkg ones are used). */
  packages: readonly PackageReport[];
  /** Layers the RUN being edited made. */
  layers: ReadonlySet<number>;
  /** The RUN as it is now (earlier hunks applied) and as the user wrote it. */
  run: DockerfileInstruction;
  originalRun?: DockerfileInstruction | undefined;
  /** Names `apt-get install`ed anywhere in the final stage now (those stay asked for). */
  namedElsewhere: ReadonlySet<string>;
  /** The names this hunk stops installing. */
  drop: readonly string[];
}

/** What dropping the packages frees. */
export interface AptDropSavings {
  bytes: number;
  compressedBytes: number;
  /** Packages that go (sorted), the dropped ones included. */
  removed: string[];
  /** How "asked for" was known: apt's marks, the Dockerfile's names only, or nothing (named packages only). */
  basis: 'apt-marks' | 'dockerfile' | 'named-only';
}

/**
 * Bytes (uncompressed, compressed) of the packages that go when `drop` is no longer installed by
 * `run`: those installed in its layers that are no longer reachable through Depends/Pre-Depends
 * (and Recommends unless the RUN passes --no-install-recommends) from what stays. Pure.
 */
export function aptDropSavings(input: AptDropInput): AptDropSavings {
  const dpkg = input.packages.filter((p) => p.manager === 'dpkg');
  const byName = new Map<string, PackageReport[]>();
  const add = (name: string, p: PackageReport): void => {
    const l = byName.get(name);
    if (!l) byName.set(name, [p]);
    else if (!l.includes(p)) l.push(p);
  };
  for (const p of dpkg) {
    add(p.name, p);
    for (const v of p.provides ?? []) add(v, p);
  }
  const inRun = (p: PackageReport): boolean => p.layer !== null && input.layers.has(p.layer);
  const now = aptInstallNames(input.run.args);
  const orig = input.originalRun ? aptInstallNames(input.originalRun.args) : now;
  const drop = new Set(input.drop);
  const marks = dpkg.some((p) => p.autoInstalled !== undefined);
  const named = (list: readonly PackageReport[]): number => list.reduce((s, p) => s + p.visibleBytes, 0);
  if (!now.literal && !marks) {
    const go = dpkg.filter((p) => drop.has(p.name) && inRun(p));
    return { bytes: named(go), compressedBytes: go.reduce((s, p) => s + (p.compressedBytes ?? 0), 0), removed: go.map((p) => p.name).sort(), basis: 'named-only' };
  }
  // dropped by an earlier hunk on this RUN: named by the user, no longer named now
  const droppedEarlier = new Set(orig.names.filter((n) => !now.names.includes(n)));
  const asked = new Set([...now.names, ...input.namedElsewhere]);
  const rootsOf = (without: ReadonlySet<string>): PackageReport[] =>
    dpkg.filter((p) => {
      if (!inRun(p)) return true;
      if (without.has(p.name) || droppedEarlier.has(p.name)) return false;
      if (asked.has(p.name)) return true;
      // apt's mark: asked for (by a name in a variable, a list file, a .deb path too)
      return marks && p.autoInstalled === false;
    });
  const recommends = !/--no-install-recommends|APT::Install-Recommends[= ]*(?:"?false|"?0)/.test(input.run.args);
  const closure = (roots: readonly PackageReport[]): Set<PackageReport> => {
    const seen = new Set<PackageReport>(roots);
    const todo = [...roots];
    while (todo.length > 0) {
      const p = todo.pop()!;
      for (const group of [...(p.depends ?? []), ...(recommends ? (p.recommends ?? []) : [])]) {
        // every installed alternative stays (apt's autoremove keeps each one that satisfies)
        for (const alt of group.split(' | ')) {
          for (const q of byName.get(alt.trim()) ?? []) {
            if (!seen.has(q)) {
              seen.add(q);
              todo.push(q);
            }
          }
        }
      }
    }
    return seen;
  };
  const before = closure(rootsOf(new Set()));
  const after = closure(rootsOf(drop));
  const go = dpkg.filter((p) => before.has(p) && !after.has(p));
  return {
    bytes: named(go),
    compressedBytes: go.reduce((s, p) => s + (p.compressedBytes ?? 0), 0),
    removed: go.map((p) => p.name).sort(),
    basis: marks ? 'apt-marks' : 'dockerfile',
  };
}
