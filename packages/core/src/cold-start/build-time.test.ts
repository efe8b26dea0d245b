import { describe, expect, it } from 'vitest';
import { buildTimeFromHistory } from './build-time.js';

const h = (created: string | undefined, createdBy = 'RUN x', layerIndex: number | null = null) => ({ created, createdBy, layerIndex });

describe('buildTimeFromHistory', () => {
  it('step time = created[i] − created[i−1]; the base image gap is not a step; slowest first', () => {
    const r = buildTimeFromHistory([
      h('2024-01-01T00:00:00Z', 'ADD rootfs', 0),
      h('2024-01-01T00:00:01Z', 'CMD bash'),
      h('2024-06-01T10:00:00Z', 'RUN apt-get install', 1), // months later: our build's first step
      h('2024-06-01T10:02:30Z', 'RUN pip install', 2), // 150 s
      h('2024-06-01T10:02:35Z', 'COPY . /app', 3), // 5 s
    ]);
    expect(r.meaningful).toBe(true);
    expect(r.totalSeconds).toBe(155);
    expect(r.steps.map((s) => [s.createdBy, s.seconds])).toEqual([
      ['RUN pip install', 150],
      ['COPY . /app', 5],
    ]);
  });

  it('SOURCE_DATE_EPOCH (all equal) is not meaningful', () => {
    const r = buildTimeFromHistory([h('2023-05-05T00:00:00Z'), h('2023-05-05T00:00:00Z'), h('2023-05-05T00:00:00Z')]);
    expect(r).toEqual({ meaningful: false, reason: expect.stringContaining('SOURCE_DATE_EPOCH'), steps: [] });
  });

  it('the epoch, decreasing or missing timestamps are not meaningful', () => {
    expect(buildTimeFromHistory([h('1970-01-01T00:00:00Z'), h('1970-01-01T00:00:00Z')]).reason).toMatch(/epoch/);
    expect(buildTimeFromHistory([h('2024-01-02T00:00:00Z'), h('2024-01-01T00:00:00Z')]).reason).toMatch(/decrease at history entry 1/);
    expect(buildTimeFromHistory([h('2024-01-02T00:00:00Z'), h(undefined)]).reason).toMatch(/no valid created/);
  });

  it('a base image with times, then a reproducible build stamped with one constant, is not meaningful', () => {
    const r = buildTimeFromHistory([h('2024-01-01T00:00:00Z'), h('2024-01-01T00:00:05Z'), h('2024-06-01T00:00:00Z'), h('2024-06-01T00:00:00Z'), h('2024-06-01T00:00:00Z')]);
    expect(r.meaningful).toBe(false);
  });
});
