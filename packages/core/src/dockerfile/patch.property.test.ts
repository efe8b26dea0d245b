/**
 * Property: parse → patch → parse never loses an instruction (only the RUNs a rewrite moved into
 * another are removed, and their commands are then found in the RUN that took them), the patched
 * file parses, and planning again on the patched file with the same findings changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planFix, type FindingPlacement } from './patch.js';
import { parseDockerfile, type ParsedDockerfile } from './parse.js';
import { REWRITES_BY_FINDING } from './rewrites/families.js';
import { fakeFinding } from './testing.js';

const RUNS = [
  'RUN apt-get update && apt-get install -y curl',
  'RUN apt-get update \\\n    && apt-get install -y python3-pip \\\n    && pip install six',
  'RUN pip install opencv-python numpy',
  'RUN conda install -y numpy',
  'RUN rm -rf /var/lib/apt/lists/*',
  'RUN rm -rf /tmp/build && rm -f /x',
  'RUN chown -R 1000:1000 /app',
  'RUN chmod -R 755 /app',
  'RUN echo hi # comment',
  'RUN ["pip", "install", "x"]',
  'RUN <<EOF\npip install y\nEOF',
  'RUN make; make install',
];
const OTHER = ['COPY . /app', 'COPY app/ /app/', 'ENV A=1', 'WORKDIR /app', '# a comment', 'ARG V=1', 'CMD ["x"]'];
const IDS = Object.keys(REWRITES_BY_FINDING);

const dockerfileArb = fc.array(fc.oneof(fc.constantFrom(...RUNS), fc.constantFrom(...OTHER)), { minLength: 1, maxLength: 10 }).map((body) => `FROM debian\n${body.join('\n')}\n`);

function placementsArb(df: ParsedDockerfile): fc.Arbitrary<FindingPlacement[]> {
  const n = df.instructions.length;
  return fc.array(
    fc.record({ id: fc.oneof({ arbitrary: fc.constantFrom(...IDS), weight: 1 }, { arbitrary: fc.constantFrom('cleanup-in-later-layer', 'wasted-bytes'), weight: 2 }), a: fc.nat(n - 1), b: fc.nat(n - 1) }).map(({ id, a, b }) => {
      const [s, d] = a <= b ? [a, b] : [b, a];
      const ev = [{ path: '/app/.git/HEAD', bytes: 100, layer: 1 }];
      const f = fakeFinding(id, 1000, ev);
      return { finding: f, main: s, byLayer: new Map([[1, s], ...(d !== s ? [[2, d] as [number, number]] : [])]), layerBytes: new Map([[1, { bytes: 1000, compressedBytes: 500 }]]) };
    }),
    { maxLength: 6 },
  );
}

const run = (text: string, placements: readonly FindingPlacement[], dockerignore: string | null) =>
  planFix({ dockerfileText: text, patchPath: 'Dockerfile', dockerignorePath: '.dockerignore', dockerignoreText: dockerignore, placements, builder: 'buildkit' });

describe('planFix properties', () => {
  it('never loses an instruction and is idempotent', () => {
    let hunks = 0;
    let removals = 0;
    fc.assert(
      fc.property(
        dockerfileArb.chain((text) => fc.tuple(fc.constant(text), placementsArb(parseDockerfile(text)))),
        ([text, placements]) => {
          const before = parseDockerfile(text);
          const p = run(text, placements, null);
          const after = parseDockerfile(p.dockerfile);
          // instructions: the same keywords in order, minus RUNs whose commands moved
          const kept = after.instructions.map((i) => i.keyword);
          const removed = before.instructions.length - after.instructions.length;
          expect(removed).toBeGreaterThanOrEqual(0);
          expect(removed).toBeLessThanOrEqual(p.hunks.length);
          hunks += p.hunks.length;
          removals += removed;
          const allArgs = after.instructions.map((i) => `${i.flags.map((f) => `--${f.name}=${f.value}`).join(' ')} ${i.args}`).join('\n');
          let k = 0;
          for (const ins of before.instructions) {
            if (kept[k] === ins.keyword) {
              k++;
              continue;
            }
            // a removed instruction: a RUN whose commands now live in another instruction
            expect(ins.keyword).toBe('RUN');
            const moved = /^(?:chmod|chown) -R (\S+)/.exec(ins.args);
            if (moved) expect(allArgs).toContain(`--${ins.args.startsWith('chmod') ? 'chmod' : 'chown'}=${moved[1]}`);
            else expect(allArgs).toContain(ins.args);
          }
          expect(k).toBe(kept.length);
          // idempotent: the same findings (re-placed on the surviving instructions) change nothing more
          const live = new Map<number, number>();
          let j = 0;
          before.instructions.forEach((ins, i) => {
            if (after.instructions[j]?.keyword === ins.keyword && j < after.instructions.length) live.set(i, j++);
          });
          const again = placements.map((pl) => ({
            ...pl,
            main: pl.main === undefined ? undefined : live.get(pl.main),
            byLayer: new Map([...pl.byLayer].filter(([, i]) => live.has(i)).map(([l, i]) => [l, live.get(i)!] as [number, number])),
          }));
          expect(run(p.dockerfile, again, p.dockerignore).hunks).toEqual([]);
        },
      ),
      { numRuns: 500, seed: 12 },
    );
    // the generator must exercise the rewrites, the moving ones included
    expect(hunks).toBeGreaterThan(40);
    expect(removals, `removals in ${hunks} hunks`).toBeGreaterThan(10);
  });
});
