/**
 * `imgsize fix --verify` through the CLI against the real test engine: a patch that builds prints
 * the predicted-vs-realized table and exits 0; a patch whose build fails prints the engine's output
 * and names the hunk most likely responsible, exits 2 and writes nothing. The "pip" here is a
 * script that refuses --no-cache-dir (as an old or wrapped pip might), so the patched build fails.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli.js';
import { describeServices } from '../services/services.js';
import { dockerOf, followProgress, makeTmp } from '../sources/helpers.js';
import { buildBase } from './cases.js';

const BASE_TAG = 'imgsize-fix-base:bookworm-v1';
const PIP = `#!/bin/sh
# pip stand-in: leaves a 3 MB cache like pip does, and fails on --no-cache-dir
case "$*" in *--no-cache-dir*) echo "pip: no such option: --no-cache-dir" >&2; exit 2 ;; esac
mkdir -p /root/.cache/pip/http && head -c 3000000 /dev/urandom > /root/.cache/pip/http/wheel
`;

describeServices('imgsize fix --verify (CLI, real dockerd)', (svc) => {
  const docker = dockerOf(svc);
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let skip: string | undefined;
  beforeAll(async () => {
    tmp = await makeTmp('fix-verify');
    const b = await buildBase(docker, BASE_TAG);
    if ('reason' in b) skip = b.reason;
  }, 1_800_000);
  afterAll(async () => tmp?.cleanup());

  async function build(dir: string, tag: string): Promise<void> {
    const ctx = execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
    await followProgress(docker, await docker.buildImage(ctx as never, { t: tag, rm: true, forcerm: true } as never));
  }

  it('prints predicted vs realized per hunk when the patched file builds', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const dir = join(tmp.dir, 'ok');
    await mkdir(dir);
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BASE_TAG}\nRUN head -c 4000000 /dev/urandom > /tmp/blob\nRUN rm -f /tmp/blob\n`);
    await build(dir, 'imgsize-fix-cli:ok');
    const r = await runCliInProcess(['fix', 'imgsize-fix-cli:ok', '--dockerfile', join(dir, 'Dockerfile'), '--verify', '--docker-host', svc.dockerHost, '--builder', 'classic']);
    process.stderr.write(r.stderr);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('# imgsize fix 1: cleanup-in-later-layer');
    expect(r.stderr).toMatch(/^\s+1\s+move-cleanup\s+4\.00 MB\s+4\.00 MB\s+0\.0%/m);
    expect(r.stderr).toContain('every build succeeded');
    expect(await readFile(join(dir, 'Dockerfile'), 'utf8')).not.toContain('&& rm -f');
  }, 600_000);

  it('a patched build that fails: engine output, the likely hunk, exit 2, nothing written', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const dir = join(tmp.dir, 'fail');
    await mkdir(dir);
    await writeFile(join(dir, 'pip'), PIP);
    await chmod(join(dir, 'pip'), 0o755);
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BASE_TAG}\nCOPY pip /usr/local/bin/pip\nRUN pip install six\n`);
    await build(dir, 'imgsize-fix-cli:fail');
    const before = (await readdir(dir)).sort();
    const r = await runCliInProcess(['fix', 'imgsize-fix-cli:fail', '--dockerfile', join(dir, 'Dockerfile'), '--verify', '--write', '--docker-host', svc.dockerHost, '--builder', 'classic']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no such option: --no-cache-dir');
    expect(r.stderr).toMatch(/^imgsize: error E_BUILD_FAILED: the patched Dockerfile does not build; most likely hunk 1 \(pip-no-cache-dir/m);
    expect((await readdir(dir)).sort()).toEqual(before);
    for (const t of ['imgsize-fix-cli:ok', 'imgsize-fix-cli:fail']) await docker.getImage(t).remove({ force: true }).catch(() => undefined);
  }, 600_000);
});
