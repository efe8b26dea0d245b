import { describe, expect, it } from 'vitest';
import { ImgsizeError } from '../errors.js';
import { isTransient, parseRetryAfter, RetryTracker, TransientError } from './registry-http.js';

describe('registry HTTP plumbing', () => {
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Mon, 01 Jan 2023 00:00:05 GMT', now)).toBe(0);
  });

  it('classifies transient failures', () => {
    expect(isTransient(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(new TransientError('stall', 'STALL'))).toBe(true);
    expect(isTransient(new Error('socket hang up'))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toBe(false);
    expect(isTransient(new ImgsizeError('E_AUTH', 'no'))).toBe(false);
  });

  it('the retry tracker bounds attempts, honours Retry-After, and resets on progress', async () => {
    const fail = (why: string) => new ImgsizeError('E_NETWORK', why);
    const b = new RetryTracker({ maxAttempts: 3, baseDelayMs: 1 });
    await b.wait(fail, undefined, undefined);
    await b.wait(fail, undefined, undefined);
    await expect(b.wait(fail, undefined, undefined)).rejects.toThrow(/gave up after 3 attempts/);
    b.progress();
    await expect(b.wait(fail, undefined, undefined)).resolves.toBeUndefined();

    const t0 = Date.now();
    await new RetryTracker({ baseDelayMs: 1 }).wait(fail, 150, undefined);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    await expect(new RetryTracker({ maxDelayMs: 1000 }).wait(fail, 60_000, undefined)).rejects.toThrow(/retry after 60 s/);
    await expect(new RetryTracker({ maxElapsedMs: 10, baseDelayMs: 1 }).wait(fail, 5_000, undefined)).rejects.toThrow(/elapsed|limit|gave up|after/);
  });

  it('an abort during the backoff is E_ABORTED', async () => {
    const ac = new AbortController();
    const p = new RetryTracker({ baseDelayMs: 10_000 }).wait((w) => new ImgsizeError('E_NETWORK', w), undefined, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});
