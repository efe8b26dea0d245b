/**
 * Property: parse → patch → parse never loses an instruction (only the RUNs a rewrite moved into
 * another are removed, and their commands are then found in the RUN that took them), the patched
 * file parses, and planning again on the patched file with the same findings changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planFix, type FindingPlacement } from './patch.js';
import { parseDockerfile, type ParsedDockerfile } from './parse.js';
import { aptInstallNames } from './rewrites/apt-closure.js';
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

/** Counts of what the generated cases exercised. */
const stats = { hunks: 0, removals: 0, splits: 0 };

function check([text, placements]: [string, FindingPlacement[]]): void {
  const before = parseDockerfile(text);
  const p = run(text, placements, null);
  const parsed = parseDockerfile(p.dockerfile);
  // a multi-stage hunk puts a builder stage in front: a copy of the instructions up to
  // the pip RUN (which installs under --root=/install); the final stage is checked below
  const split = p.hunks.some((h) => h.family === 'multistage-build-tools');
  expect(parsed.stages.length).toBe(split ? 2 : 1);
  if (split) stats.splits++;
  if (split) {
    const builder = parsed.stages[0]!.instructions;
    expect(builder.map((i) => i.keyword)).toEqual(before.stages[0]!.instructions.slice(0, builder.length).map((i) => i.keyword));
    expect(builder[builder.length - 1]!.args).toContain('pip install --root=/install');
  }
  const finalStage = parsed.stages[parsed.stages.length - 1]!;
  const after = { instructions: parsed.instructions.filter((i) => i.stage < 0 || i === finalStage.from || finalStage.instructions.includes(i)) };
  const removed = before.instructions.length - after.instructions.length;
  expect(removed).toBeGreaterThanOrEqual(0);
  expect(removed).toBeLessThanOrEqual(p.hunks.length);
  stats.hunks += p.hunks.length;
  stats.removals += removed;
  const allArgs = after.instructions.map((i) => `${i.flags.map((f) => `--${f.name}=${f.value}`).join(' ')} ${i.args}`).join('\n');
  // every surviving instruction is an original one, in order, with its keyword (the pip RUN a
  // split replaces is its COPY --from=builder)
  const finalOrigins = p.origins.filter((o, j) => o !== null && after.instructions.includes(parsed.instructions[j]!));
  expect(finalOrigins).toEqual([...finalOrigins].sort((x, y) => x! - y!));
  p.origins.forEach((o, j) => {
    if (o === null || !after.instructions.includes(parsed.instructions[j]!)) return;
    const was = before.instructions[o]!;
    const now = parsed.instructions[j]!;
    if (split && now.keyword === 'COPY' && now.args === '/install /') expect(was.args).toMatch(/pip install/);
    else expect(now.keyword).toBe(was.keyword);
  });
  for (const ins of before.instructions) {
    if (finalOrigins.includes(ins.index)) continue;
    // a removed instruction: a RUN whose commands now live in another instruction
    expect(ins.keyword).toBe('RUN');
    const moved = /^(?:chmod|chown) -R (\S+)/.exec(ins.args);
    if (moved) expect(allArgs).toContain(`--${ins.args.startsWith('chmod') ? 'chmod' : 'chown'}=${moved[1]}`);
    else if (split && /apt-get install/.test(ins.args)) expect(parsed.stages[0]!.instructions.map((i) => aptInstallNames(i.args).names.join(' '))).toContain(aptInstallNames(ins.args).names.join(' '));
    else expect(allArgs).toContain(ins.args);
  }
  // idempotent: the same findings (re-placed on the surviving instructions) change nothing more
  const live = new Map<number, number>();
  expect(p.origins).toHaveLength(parsed.instructions.length);
  p.origins.forEach((o, j) => {
    if (o !== null) live.set(o, j);
  });
  const again = placements.map((pl) => ({
    ...pl,
    main: pl.main === undefined ? undefined : live.get(pl.main),
    byLayer: new Map([...pl.byLayer].filter(([, i]) => live.has(i)).map(([l, i]) => [l, live.get(i)!] as [number, number])),
  }));
  expect(run(p.dockerfile, again, p.dockerignore).hunks).toEqual([]);
}

/** Single-stage Dockerfiles of the multi-stage split's shape: build tools by apt, then one pip RUN. */
const splitArb = fc
  .tuple(
    fc.array(fc.constantFrom(...OTHER), { maxLength: 3 }),
    fc.constantFrom('RUN apt-get update && apt-get install -y --no-install-recommends gcc python3-dev', 'RUN apt-get install -y build-essential'),
    fc.array(fc.constantFrom(...OTHER, 'RUN echo hi # comment', 'RUN rm -rf /tmp/build && rm -f /x', 'RUN chmod -R 755 /app'), { maxLength: 3 }),
    fc.constantFrom('RUN pip install --no-cache-dir cython', 'RUN pip install opencv-python numpy'),
    fc.array(fc.constantFrom(...OTHER), { maxLength: 3 }),
  )
  .map(([a, b, c, d, e]) => `FROM debian\n${[...a, b, ...c, d, ...e].join('\n')}\n`);

describe('planFix properties', () => {
  it('never loses an instruction and is idempotent', () => {
    fc.assert(
      fc.property(
        dockerfileArb.chain((text) => fc.tuple(fc.constant(text), placementsArb(parseDockerfile(text)))),
        check,
      ),
      { numRuns: 600, seed: 12 },
    );
    // the generator must exercise the rewrites, the moving ones included
    expect(stats.hunks).toBeGreaterThan(40);
    expect(stats.removals, `removals in ${stats.hunks} hunks`).toBeGreaterThan(10);
  });

  it('the multi-stage split keeps the final stage\'s instructions and is idempotent', () => {
    stats.splits = 0;
    fc.assert(
      fc.property(
        splitArb.chain((text) => {
          const df = parseDockerfile(text);
          const apt = df.instructions.find((i) => /apt-get install/.test(i.args))!;
          const tools: FindingPlacement = { finding: fakeFinding('build-tools', 1000), main: apt.index, byLayer: new Map([[1, apt.index]]), layerBytes: new Map([[1, { bytes: 1000, compressedBytes: 500 }]]) };
          return fc.tuple(fc.constant(text), placementsArb(df).map((pl) => [tools, ...pl]));
        }),
        check,
      ),
      { numRuns: 200, seed: 12 },
    );
    expect(stats.splits, 'multi-stage splits').toBeGreaterThan(100);
  });
});
