import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapHistoryToDockerfile, normalizeHistoryEntry, type HistoryInput } from './map-history.js';
import { parseDockerfile } from './parse.js';

interface Recorded {
  dockerfile: string;
  classic: { history: Array<{ created_by?: string; empty_layer?: boolean; comment?: string }>; layers: number };
  buildkit: { history: Array<{ created_by?: string; empty_layer?: boolean; comment?: string }>; layers: number };
}
const REC = JSON.parse(readFileSync(new URL('./testdata/recorded-history.json', import.meta.url), 'utf8')) as Recorded;

function inputs(h: Recorded['classic']['history']): HistoryInput[] {
  let layer = 0;
  return h.map((e) => ({ createdBy: e.created_by ?? '', emptyLayer: e.empty_layer === true, comment: e.comment, layerIndex: e.empty_layer ? null : layer++ }));
}

/** Line of each instruction of the recorded Dockerfile, by the text that starts it. */
const lineOf = (start: string): number => REC.dockerfile.split('\n').findIndex((l) => l.startsWith(start)) + 1;

describe('mapping recorded history (dockerd 20.10, both builders)', () => {
  for (const builder of ['classic', 'buildkit'] as const) {
    it(`${builder}: every entry maps to its line; base layers to the FROM line`, () => {
      const df = parseDockerfile(REC.dockerfile);
      const hist = inputs(REC[builder].history);
      const m = mapHistoryToDockerfile(df, hist, REC[builder].layers);
      expect(m.builder).toBe(builder);
      expect(m.warnings).toEqual([]);
      const got = m.entries.map((e) => [e.kind, e.instruction?.startLine]);
      const want: Array<[string, number]> = [
        ['base', lineOf('FROM df-base:explore\n') || 3],
        ['instruction', lineOf('ARG A=1')],
        ['instruction', lineOf('ARG B=two')],
        ['instruction', lineOf('ENV E1')],
        ['instruction', lineOf('WORKDIR')],
        ['instruction', lineOf('COPY a.txt')],
        ['instruction', lineOf('COPY --from')],
        ['instruction', lineOf('ADD')],
        ['instruction', lineOf('RUN echo $A')],
        ['instruction', lineOf('RUN ["/bin/sh"')],
        ['instruction', lineOf('SHELL')],
        ['instruction', lineOf('RUN echo bash')],
        ['instruction', lineOf('USER')],
        ['instruction', lineOf('LABEL')],
        ['instruction', lineOf('EXPOSE')],
        ['instruction', lineOf('CMD')],
        ['instruction', lineOf('ENTRYPOINT')],
      ];
      want[0] = ['base', 3];
      expect(got).toEqual(want);
      // the continuation RUN spans its lines, comment line included
      const run = m.entries.find((e) => e.instruction?.args.startsWith('echo $A'))!.instruction!;
      expect([run.startLine, run.endLine]).toEqual([11, 13]);
      // layers: base, then the four file-making instructions and three RUNs (WORKDIR: classic only)
      expect(m.layers.every((l) => l !== null)).toBe(true);
      expect(m.layers[0]!.kind).toBe('base');
    });
  }

  it('normalizes both styles of the same RUN to the same command', () => {
    const a = normalizeHistoryEntry('|2 A=1 B=two /bin/sh -c echo $A $B     && echo second > /s');
    const b = normalizeHistoryEntry('RUN |2 A=1 B=two /bin/sh -c echo $A $B     && echo second > /s # buildkit');
    const c = normalizeHistoryEntry('RUN --mount=type=cache,target=/root/.cache/pip |2 A=1 B=two /bin/sh -c echo $A $B     && echo second > /s # buildkit');
    expect(a.text).toBe(b.text);
    expect(c.text).toBe(b.text);
    expect(normalizeHistoryEntry('/bin/bash -c #(nop)  CMD ["x"]')).toMatchObject({ keyword: 'CMD', text: '["x"]' });
    expect(normalizeHistoryEntry('/bin/sh -c #(nop) COPY multi:fa2a in /app/ ')).toMatchObject({ keyword: 'COPY', classicCopyDest: '/app/' });
  });

  it('a heredoc RUN matches its body (BuildKit records the body)', () => {
    const df = parseDockerfile('FROM x\nRUN <<EOF\necho hi\necho there\nEOF\n');
    const m = mapHistoryToDockerfile(df, [{ createdBy: '', emptyLayer: false, layerIndex: 0 }, { createdBy: 'RUN /bin/sh -c echo hi\necho there # buildkit', emptyLayer: false, layerIndex: 1 }], 2);
    expect(m.entries[1]!.instruction).toMatchObject({ startLine: 2, endLine: 5 });
  });

  it('an extra entry in the middle is a W_DF_UNMATCHED_ENTRY warning, not attributed', () => {
    const df = parseDockerfile('FROM x\nRUN echo a\nRUN echo b\n');
    const h: HistoryInput[] = [
      { createdBy: '/bin/sh -c #(nop) ADD file:1 in / ', emptyLayer: false, layerIndex: 0 },
      { createdBy: '/bin/sh -c echo a', emptyLayer: false, layerIndex: 1 },
      { createdBy: '/bin/sh -c echo zzz', emptyLayer: false, layerIndex: 2 },
      { createdBy: '/bin/sh -c echo b', emptyLayer: false, layerIndex: 3 },
    ];
    const m = mapHistoryToDockerfile(df, h, 4);
    expect(m.entries.map((e) => e.kind)).toEqual(['base', 'instruction', 'unmatched', 'instruction']);
    expect(m.warnings.map((w) => w.code)).toEqual(['W_DF_UNMATCHED_ENTRY']);
  });

  it('entries that two equally good alignments attribute differently: W_DF_AMBIGUOUS_ENTRY, never guessed', () => {
    const df = parseDockerfile('FROM x\nRUN echo a\nRUN echo b\nRUN echo a\nRUN echo c\n');
    const h: HistoryInput[] = [
      { createdBy: '', emptyLayer: false, layerIndex: 0 },
      { createdBy: '/bin/sh -c echo b', emptyLayer: false, layerIndex: 1 },
      { createdBy: '/bin/sh -c echo a', emptyLayer: false, layerIndex: 2 },
      { createdBy: '/bin/sh -c echo a', emptyLayer: false, layerIndex: 3 },
      { createdBy: '/bin/sh -c echo c', emptyLayer: false, layerIndex: 4 },
    ];
    const m = mapHistoryToDockerfile(df, h, 5);
    // b,a,a against a,b,a: {b→3, a→4} and {a→2, a→4} score the same; only `echo c` is certain.
    expect(m.entries.map((e) => [e.kind, e.instruction?.startLine])).toEqual([['base', 1], ['unmatched', undefined], ['unmatched', undefined], ['unmatched', undefined], ['instruction', 5]]);
    expect(m.warnings.filter((w) => w.code === 'W_DF_AMBIGUOUS_ENTRY').map((w) => w.historyIndex)).toEqual([1, 2, 3]);
    expect(m.layers[4]!.instruction!.startLine).toBe(5);
  });

  it('a Dockerfile of another image is E_DOCKERFILE_MISMATCH', () => {
    const df = parseDockerfile('FROM x\nRUN apt-get update\nCOPY . /app\nRUN make\n');
    expect(() => mapHistoryToDockerfile(df, inputs(REC.classic.history), REC.classic.layers)).toThrow(expect.objectContaining({ code: 'E_DOCKERFILE_MISMATCH' }));
  });

  it('a stage built FROM another stage maps the parent stage lines too', () => {
    const df = parseDockerfile('FROM base AS deps\nRUN echo deps\nFROM deps\nRUN echo app\n');
    const h: HistoryInput[] = [
      { createdBy: '', emptyLayer: false, layerIndex: 0 },
      { createdBy: 'RUN /bin/sh -c echo deps # buildkit', emptyLayer: false, layerIndex: 1 },
      { createdBy: 'RUN /bin/sh -c echo app # buildkit', emptyLayer: false, layerIndex: 2 },
    ];
    const m = mapHistoryToDockerfile(df, h, 3);
    expect(m.entries.map((e) => [e.kind, e.instruction?.startLine])).toEqual([['base', 1], ['instruction', 2], ['instruction', 4]]);
  });
});
