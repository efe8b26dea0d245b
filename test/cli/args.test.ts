/** Argument parsing: typed option tables, "did you mean", per-command help, `version`. */
import { describe, expect, it } from 'vitest';
import { closest, defineOptions, formatOptionsHelp, parseOptions } from '../../packages/cli/src/args.js';
import { runCliInProcess } from '../helpers/cli.js';

describe('option tables', () => {
  const table = defineOptions({
    json: { type: 'boolean', help: 'json' },
    top: { type: 'string', arg: '<n>', help: 'rows' },
    output: { type: 'string', short: 'o', multiple: true, help: 'outputs' },
  });

  it('parses typed values: string, boolean, repeatable', () => {
    const { values, positionals } = parseOptions(['x.tar', '--json', '--top', '3', '-o', 'json=a', '-o', 'markdown=b'], table);
    expect(positionals).toEqual(['x.tar']);
    expect(values).toEqual({ json: true, top: '3', output: ['json=a', 'markdown=b'] });
    // compile-time: these are string / string[] without casts
    const top: string | undefined = values.top;
    const outs: string[] | undefined = values.output;
    expect([top, outs?.length]).toEqual(['3', 2]);
  });

  it('an unknown flag is a usage error suggesting the nearest one', () => {
    expect(() => parseOptions(['--jsno'], table)).toThrow(/unknown option --jsno \(did you mean --json\?\)/);
    expect(() => parseOptions(['--zzzzzz'], table)).toThrow(/^unknown option --zzzzzz$/);
    expect(() => parseOptions(['--top'], table)).toThrow(/argument missing/);
  });

  it('closest: typos, swaps and prefixes; nothing for unrelated words', () => {
    expect(closest('anlyze', ['analyze', 'diff', 'version'])).toBe('analyze');
    expect(closest('dif', ['analyze', 'diff', 'version'])).toBe('diff');
    expect(closest('verison', ['analyze', 'diff', 'version'])).toBe('version');
    expect(closest('frobnicate', ['analyze', 'diff', 'version'])).toBeUndefined();
  });

  it('help lists every option of the table', () => {
    const help = formatOptionsHelp(table);
    expect(help).toMatch(/--json\s+json/);
    expect(help).toMatch(/--top <n>\s+rows/);
    expect(help).toMatch(/-o, --output <value>\s+outputs/);
  });
});

describe('CLI dispatch', () => {
  it('a mistyped command says "did you mean"', async () => {
    const r = await runCliInProcess(['anlyze', 'x.tar']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "anlyze" \(did you mean "analyze"\?\)/);
  });

  it('a mistyped flag says "did you mean" and points at the command help', async () => {
    const r = await runCliInProcess(['analyze', 'x.tar', '--metadata-onyl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --metadata-onyl \(did you mean --metadata-only\?\)/);
    expect(r.stderr).toMatch(/hint: run 'imgsize analyze --help'/);
  });

  it.each(['analyze', 'diff', 'version'])('%s --help lists its options', async (cmd) => {
    const r = await runCliInProcess([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: imgsize ${cmd}`));
    expect(r.stdout).toMatch(/--color <when>/);
    if (cmd !== 'version') for (const flag of ['--json', '--format <f>', '-o, --output', '--top <n>', '--platform', '--metadata-only', '--limit']) expect(r.stdout).toContain(flag);
    if (cmd === 'analyze') for (const flag of ['--budget <file>', '--baseline', '--include-files', '--rules']) expect(r.stdout).toContain(flag);
  });

  it('imgsize version prints the versions; --json too', async () => {
    const r = await runCliInProcess(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^imgsize \d+\.\d+\.\d+ \(report schema \d+, diff schema \d+, node /);
    const j = await runCliInProcess(['version', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), reportSchemaVersion: expect.any(Number) });
    expect((await runCliInProcess(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
