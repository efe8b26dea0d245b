import { describe, expect, it } from 'vitest';
import type { PackageReport } from '../../report-schema.js';
import { parseDockerfile } from '../parse.js';
import { aptDropSavings, aptInstallNames } from './apt-closure.js';

const MB = 1_000_000;
function deb(name: string, layer: number, mb: number, extra: Partial<PackageReport> = {}): PackageReport {
  return { manager: 'dpkg', name, layer, visibleBytes: mb * MB, compressedBytes: (mb * MB) / 4, files: 1, wastedBytes: 0, ...extra };
}

/** Debian bookworm's shape: uuid-dev and libblkid-dev pull libc6-dev and its tool chain in. */
const BASE = [deb('libc6', 0, 12), deb('libuuid1', 0, 0.1), deb('libblkid1', 0, 0.4, { depends: ['libc6'] })];
const RUN1 = [
  deb('file', 1, 0.1, { depends: ['libmagic1'] }),
  deb('libmagic1', 1, 0.3, { depends: ['libmagic-mgc'], autoInstalled: true }),
  deb('libmagic-mgc', 1, 7, { autoInstalled: true }),
  deb('uuid-dev', 1, 0.2, { depends: ['libc6-dev | libc-dev', 'libuuid1'] }),
  deb('libblkid-dev', 1, 0.5, { depends: ['libblkid1', 'uuid-dev'] }),
  deb('libc6-dev', 1, 12, { depends: ['libc6', 'libc-dev-bin', 'linux-libc-dev', 'libcrypt-dev'], provides: ['libc-dev'], autoInstalled: true }),
  deb('libc-dev-bin', 1, 0.1, { autoInstalled: true }),
  deb('linux-libc-dev', 1, 7, { autoInstalled: true }),
  deb('libcrypt-dev', 1, 0.3, { autoInstalled: true }),
];
const withMarks = [...BASE, ...RUN1.map((p) => ({ ...p, autoInstalled: p.autoInstalled ?? false }))];
const noMarks = [...BASE, ...RUN1.map(({ autoInstalled: _, ...p }) => p)];

function runOf(text: string) {
  const df = parseDockerfile(`FROM debian\n${text}\n`);
  return df.instructions[1]!;
}
const RUN = 'RUN apt-get update && apt-get install -y --no-install-recommends file uuid-dev libblkid-dev';

describe('aptDropSavings', () => {
  it('counts what only the dropped packages pulled in (libc6-dev and its tool chain), with or without apt marks', () => {
    for (const [packages, basis] of [
      [withMarks, 'apt-marks'],
      [noMarks, 'dockerfile'],
    ] as const) {
      const s = aptDropSavings({ packages, layers: new Set([1]), run: runOf(RUN), namedElsewhere: new Set(), drop: ['uuid-dev', 'libblkid-dev'] });
      expect(s.removed).toEqual(['libblkid-dev', 'libc-dev-bin', 'libc6-dev', 'libcrypt-dev', 'linux-libc-dev', 'uuid-dev']);
      expect(s.bytes).toBe(Math.round((0.2 + 0.5 + 12 + 0.1 + 7 + 0.3) * MB));
      expect(s.compressedBytes).toBe(s.bytes / 4);
      expect(s.basis).toBe(basis);
    }
  });

  it('keeps what something else needs: another layer, a name asked for elsewhere, a manual mark, a virtual package', () => {
    const base = { layers: new Set([1]), run: runOf(RUN), drop: ['uuid-dev', 'libblkid-dev'] };
    // a later layer's gcc depends on the virtual libc-dev, which libc6-dev provides
    const gcc = deb('gcc', 2, 30, { depends: ['libc-dev'] });
    expect(aptDropSavings({ ...base, packages: [...withMarks, gcc], namedElsewhere: new Set() }).removed).toEqual(['libblkid-dev', 'uuid-dev']);
    // libc6-dev named by another RUN
    expect(aptDropSavings({ ...base, packages: withMarks, namedElsewhere: new Set(['libc6-dev']) }).removed).toEqual(['libblkid-dev', 'uuid-dev']);
    // apt marks libc6-dev as asked for (e.g. installed from a list file)
    const manual = withMarks.map((p) => (p.name === 'libc6-dev' ? { ...p, autoInstalled: false } : p));
    expect(aptDropSavings({ ...base, packages: manual, namedElsewhere: new Set() }).removed).toEqual(['libblkid-dev', 'uuid-dev']);
    // dropping only libblkid-dev: uuid-dev stays asked for, and with it libc6-dev
    expect(aptDropSavings({ ...base, drop: ['libblkid-dev'], packages: withMarks, namedElsewhere: new Set() }).removed).toEqual(['libblkid-dev']);
  });

  it('follows Recommends only when the RUN installs them', () => {
    const rec = [...withMarks, deb('tool', 1, 1, { recommends: ['linux-libc-dev'] })];
    const named = (r: string) => aptDropSavings({ packages: rec, layers: new Set([1]), run: runOf(`${r} tool`), namedElsewhere: new Set(), drop: ['uuid-dev', 'libblkid-dev'] }).removed;
    expect(named(RUN)).toContain('linux-libc-dev');
    expect(named(RUN.replace(' --no-install-recommends', ''))).not.toContain('linux-libc-dev');
  });

  it('does not count again what an earlier hunk on the same RUN dropped', () => {
    const original = runOf(RUN);
    const now = runOf('RUN apt-get update && apt-get install -y --no-install-recommends file libblkid-dev');
    const s = aptDropSavings({ packages: withMarks, layers: new Set([1]), run: now, originalRun: original, namedElsewhere: new Set(), drop: ['libblkid-dev'] });
    // uuid-dev (dropped earlier) and libc6-dev's chain were the earlier hunk's savings... but
    // libblkid-dev depends on uuid-dev: dropping it is what frees the chain now
    expect(s.removed).toEqual(['libblkid-dev', 'libc-dev-bin', 'libc6-dev', 'libcrypt-dev', 'linux-libc-dev', 'uuid-dev']);
    const again = aptDropSavings({ packages: withMarks, layers: new Set([1]), run: runOf('RUN apt-get install -y --no-install-recommends file'), originalRun: original, namedElsewhere: new Set(), drop: ['file'] });
    expect(again.removed).toEqual(['file', 'libmagic-mgc', 'libmagic1']);
  });

  it('names through a variable: apt marks still tell; without them only the named packages count', () => {
    const run = runOf('RUN apt-get install -y --no-install-recommends $PKGS uuid-dev libblkid-dev');
    expect(aptDropSavings({ packages: withMarks, layers: new Set([1]), run, namedElsewhere: new Set(), drop: ['uuid-dev', 'libblkid-dev'] }).removed).toContain('libc6-dev');
    const bare = aptDropSavings({ packages: noMarks, layers: new Set([1]), run, namedElsewhere: new Set(), drop: ['uuid-dev', 'libblkid-dev'] });
    expect([bare.basis, bare.removed]).toEqual(['named-only', ['libblkid-dev', 'uuid-dev']]);
  });

  it('reads apt-get install / apt install names', () => {
    expect(aptInstallNames('apt-get update && apt-get -q install -y --no-install-recommends curl gcc=4:12.2.0-3 libc6:amd64 && rm -rf /x')).toEqual({ names: ['curl', 'gcc', 'libc6'], literal: true });
    expect(aptInstallNames('apt install -y ./x.deb g++')).toEqual({ names: ['g++'], literal: false });
  });
});
