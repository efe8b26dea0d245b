/**
 * Cold start through the CLI: --pull-profile selection and overrides, bad profiles and bandwidths
 * (E_USAGE / E_BAD_CONFIG naming the field), the report's coldStart section and its rendering,
 * and `imgsize calibrate` writing a profile that analyze then uses.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_PULL_PROFILES, ReportSchema } from '../../packages/core/src/index.js';
import { runCliInProcess } from '../helpers/cli.js';

const EXAMPLE = new URL('../../fixtures/images/examples/naive-ml.tar.gz', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'imgsize-cold-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Keep the user's calibrated profile out of these tests.
process.env.XDG_CONFIG_HOME = join(dir, 'config');

describe('cold start in the CLI', () => {
  it('--pull-profile ctr with overrides drives the JSON report; pull stays fetch only', async () => {
    const r = await runCliInProcess(['analyze', EXAMPLE, '--json', '--quiet', '--pull-profile', 'ctr,bandwidth=10Gbps,gzip=50MB/s']);
    expect(r.code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(r.stdout));
    const c = report.coldStart!;
    expect(c.profile.name).toBe('ctr+bandwidth+gzip');
    expect(c.profile.bandwidthBitsPerSecond).toBe(10e9);
    expect(c.profile.inflateBytesPerSecond.gzip).toBe(50e6);
    expect(c.profile.unpackStart).toBe('after-all-fetched');
    expect(report.pull!.bandwidthBitsPerSecond).toBe(10e9);
    // Fetch only ≤ cold start: the model adds inflate and unpack after the fetch.
    expect(report.pull!.seconds).toBeLessThan(c.totalSeconds);
    expect(c.criticalSeconds.fetch + c.criticalSeconds.decompress + c.criticalSeconds.unpack).toBeCloseTo(c.totalSeconds, 9);
  });

  it('--bandwidth wins over the profile’s bandwidth', async () => {
    const r = await runCliInProcess(['analyze', EXAMPLE, '--json', '--quiet', '--pull-profile', 'docker', '--bandwidth', '200Mbps']);
    expect(JSON.parse(r.stdout).coldStart.profile.bandwidthBitsPerSecond).toBe(200e6);
  });

  it.each([
    [['--pull-profile', 'docker,bandwidth=0Mbps'], 'bandwidth'],
    [['--pull-profile', 'docker,concurrency=-2'], 'concurrency'],
    [['--pull-profile', 'docker,speed=3'], 'speed'],
    [['--pull-profile', 'nope'], 'nope'],
    [['--bandwidth', '0Mbps'], 'bandwidth'],
    [['--bandwidth=-5Mbps'], 'bandwidth'],
  ])('%j is a usage error naming %s', async (args, field) => {
    const r = await runCliInProcess(['analyze', EXAMPLE, '--quiet', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_USAGE/);
    expect(r.stderr).toContain(field);
  });

  it('an invalid profile file is E_BAD_CONFIG naming the field', async () => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, JSON.stringify({ ...BUILTIN_PULL_PROFILES.docker, writeBytesPerSecond: -1 }));
    const r = await runCliInProcess(['analyze', EXAMPLE, '--quiet', '--pull-profile', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_BAD_CONFIG.*"writeBytesPerSecond"/);
  });

  it('terminal and markdown show the cold start with its breakdown and profile', async () => {
    const t = await runCliInProcess(['analyze', EXAMPLE, '--quiet', '--bandwidth', '0.5Mbps']);
    expect(t.stdout).toMatch(/Cold start \(estimate/);
    expect(t.stdout).toMatch(/fetch .* inflate .* unpack /);
    expect(t.stdout).toMatch(/docker profile: 500 kbps, 3 downloads/);
    expect(t.stdout).toMatch(/Estimated pull time \(fetch only\)/);
    const m = await runCliInProcess(['analyze', EXAMPLE, '--quiet', '--format', 'markdown']);
    expect(m.stdout).toMatch(/#### Cold start \(estimate\)/);
    expect(m.stdout).toMatch(/\| Inflate/);
  });

  it('diff shows the seed’s table per side and the update', async () => {
    const after = new URL('../../fixtures/images/examples/optimized-ml.tar.gz', import.meta.url).pathname;
    const r = await runCliInProcess(['diff', EXAMPLE, after, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Cold start \(estimates\)/);
    expect(r.stdout).toMatch(/Pull, fetch only/);
    expect(r.stdout).toMatch(/a node holding the before image pulls \d+ new layers? \(matched by diffId\)/);
  });

  it('calibrate writes a profile that analyze then uses by default', async () => {
    const c = await runCliInProcess(['calibrate', '--quiet', '--dir', dir, '--sample', '4MB']);
    expect(c.code).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, 'config/imgsize/pull-profile.json'), 'utf8'));
    expect(saved.name).toBe('calibrated');
    const r = await runCliInProcess(['analyze', EXAMPLE, '--json', '--quiet']);
    expect(JSON.parse(r.stdout).coldStart.profile.source).toBe(saved.source);
  }, 120_000);
});
