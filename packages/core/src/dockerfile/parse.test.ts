import { describe, expect, it } from 'vitest';
import { expandVars, finalChain, joinContinuations, parseDockerfile, parseKeyValues } from './parse.js';

describe('parseDockerfile', () => {
  it('reads directives, stages, lines, flags, exec form and heredocs', () => {
    const df = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'ARG BASE=debian',
        'FROM ${BASE}:bookworm AS build',
        'RUN apt-get update \\',
        '    # a comment',
        '    && apt-get install -y gcc',
        'RUN <<EOF',
        'echo hi',
        'EOF',
        'FROM build',
        'ENV A=1 B="two words"',
        'COPY --chown=1:1 --from=build a b /app/$A/',
        'RUN --mount=type=cache,target=/x ["echo", "x"]',
        '',
      ].join('\n'),
    );
    expect(df.syntax).toBe('docker/dockerfile:1');
    expect(df.stages.map((s) => [s.name, s.baseImage, s.parentStage])).toEqual([['build', 'debian:bookworm', null], [null, 'build', 0]]);
    const run = df.stages[0]!.instructions[0]!;
    expect([run.startLine, run.endLine, run.args]).toEqual([4, 6, 'apt-get update     && apt-get install -y gcc']);
    expect(df.stages[0]!.instructions[1]).toMatchObject({ startLine: 7, endLine: 9, heredocs: ['EOF'] });
    const copy = df.stages[1]!.instructions[1]!;
    expect(copy.flags).toEqual([{ name: 'chown', value: '1:1' }, { name: 'from', value: 'build' }]);
    expect(copy.expanded).toBe('a b /app/1/');
    const exec = df.stages[1]!.instructions[2]!;
    expect(exec.exec).toEqual(['echo', 'x']);
    expect(exec.flags[0]).toEqual({ name: 'mount', value: 'type=cache,target=/x' });
    expect(finalChain(df).instructions.map((i) => i.startLine)).toEqual([4, 7, 11, 12, 13]);
  });

  it('honours # escape=`', () => {
    const df = parseDockerfile('# escape=`\nFROM x\nRUN echo a `\n  b\n');
    expect(df.escape).toBe('`');
    expect(df.stages[0]!.instructions[0]!.args).toBe('echo a   b');
  });

  it('build args override ARG defaults', () => {
    const df = parseDockerfile('ARG V=1\nFROM img:$V\nARG W=2\nENV X=$W\n', { buildArgs: { V: '9', W: '8' } });
    expect(df.stages[0]!.baseImage).toBe('img:9');
    expect(df.stages[0]!.instructions[1]!.expanded).toBe('X=8');
  });

  it.each([
    ['unknown instruction', 'FROM x\nFOO bar\n', /Dockerfile:2: unknown instruction FOO/],
    ['no FROM', 'RUN echo\n', /RUN before the first FROM/],
    ['empty', '# nothing\n', /no FROM/],
    ['bad FROM', 'FROM a b c d\n', /Dockerfile:1: FROM takes/],
    ['unterminated heredoc', 'FROM x\nRUN <<EOF\necho\n', /never terminated/],
  ])('syntax error: %s → E_DOCKERFILE_SYNTAX with the line', (_, text, msg) => {
    expect(() => parseDockerfile(text)).toThrow(expect.objectContaining({ code: 'E_DOCKERFILE_SYNTAX', message: expect.stringMatching(msg) }));
  });

  it('helpers: continuations, variables, key=value pairs', () => {
    expect(joinContinuations(['a \\', '# c', '  b \\', '', '  c'], '\\')).toBe('a   b   c');
    const v = new Map([['A', 'x']]);
    expect(expandVars('$A ${A} ${B:-d} ${A:+set} \\$A', v)).toBe('x x d set $A');
    expect(parseKeyValues('A=1 B="two words" C', false)).toEqual([['A', '1'], ['B', 'two words'], ['C', undefined]]);
    expect(parseKeyValues('A one two', true)).toEqual([['A', 'one two']]);
  });
});
