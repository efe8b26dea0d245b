/**
 * A Docker engine that dies in the middle of an image export. The shared engine of test/services
 * serves other suites running in parallel, so this suite starts its own real `dockerd` (own data
 * and exec roots, its own socket, no networking), loads a 200 MB image into it through the Engine
 * API, and SIGKILLs it once the export stream has started: the load must end with E_DAEMON, never
 * a report. Both processes it started (dockerd and the containerd dockerd starts) are stopped by
 * their recorded pids. test/sources/daemon.test.ts covers the rest (no socket, refused, not an
 * engine, a silent engine, permission denied, unknown image, abort).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { openDaemon } from '../../packages/core/src/sources/daemon.js';
import { describeServices } from '../services/services.js';
import { endMarker, entry, headerBlock, padding } from '../fuzz/raw-tar.js';
import { errorOf } from './helpers.js';

const requireFromCore = createRequire(new URL('../../packages/core/package.json', import.meta.url));
const DockerCtor = requireFromCore('dockerode') as typeof Docker;

const LAYER_BYTES = 200 * 2 ** 20;
const canRunDockerd = process.getuid?.() === 0 && existsSync('/usr/sbin/dockerd');

/** Writes a one-layer docker-save archive of `LAYER_BYTES` random bytes to `path`, streaming. */
function writeBigArchive(path: string, tag: string): void {
  const fd = openSync(path, 'w');
  try {
    const layerSize = 512 + LAYER_BYTES + 1024; // header + payload + end marker
    writeSync(fd, headerBlock({ name: 'l0/layer.tar', size: layerSize }));
    const diff = createHash('sha256');
    const put = (b: Buffer): void => {
      diff.update(b);
      writeSync(fd, b);
    };
    put(headerBlock({ name: 'random.bin', size: LAYER_BYTES }));
    for (let left = LAYER_BYTES; left > 0; left -= 1 << 20) put(randomBytes(Math.min(1 << 20, left)));
    put(endMarker());
    writeSync(fd, padding(layerSize));
    const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${diff.digest('hex')}`] }, history: [{ created_by: 'ADD random.bin /' }] });
    writeSync(fd, entry({ name: 'c.json' }, cfg));
    writeSync(fd, entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'c.json', RepoTags: [tag], Layers: ['l0/layer.tar'] }])));
    writeSync(fd, endMarker());
  } finally {
    closeSync(fd);
  }
}

async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('timed out');
}

/** Kills `pid` with `sig` if it is still the process named `comm` (never anything else). */
function killIf(pid: number | undefined, comm: string, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== comm) return;
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

describeServices('a Docker engine that dies mid-export', (svc) => {
  const root = `/tmp/imgsize-dd-${process.pid}`;
  const sock = join(root, 'd.sock');
  const tag = `imgsize-test/dying:${process.pid}`;
  let dockerd: ChildProcess | undefined;
  let docker: Docker;

  const containerdPid = (): number | undefined => {
    for (const p of [join(root, 'exec', 'containerd', 'containerd.pid')]) {
      try {
        return Number(readFileSync(p, 'utf8').trim()) || undefined;
      } catch {
        // not there
      }
    }
    return undefined;
  };

  beforeAll(async () => {
    if (!canRunDockerd) return;
    mkdirSync(root, { recursive: true });
    const log = openSync(join(root, 'dockerd.log'), 'w');
    dockerd = spawn(
      'dockerd',
      [
        `--storage-driver=${svc.dockerDriver === 'vfs' ? 'vfs' : 'overlay2'}`,
        '--data-root', join(root, 'data'),
        '--exec-root', join(root, 'exec'),
        '--pidfile', join(root, 'dockerd.pid'),
        '--iptables=false', '--ip-masq=false', '--ip-forward=false', '--bridge=none',
        '--log-level=warn',
        '-H', `unix://${sock}`,
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    docker = new DockerCtor({ socketPath: sock });
    await waitFor(async () => existsSync(sock) && (await docker.ping().then(() => true, () => false)), 60_000);
    const archive = join(root, 'big.tar');
    writeBigArchive(archive, tag);
    const stream = await docker.loadImage(createReadStream(archive), { quiet: true });
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
    rmSync(archive);
  });

  afterAll(async () => {
    killIf(dockerd?.pid, 'dockerd', 'SIGKILL');
    killIf(containerdPid(), 'containerd', 'SIGKILL');
    if (dockerd && dockerd.exitCode === null && dockerd.signalCode === null) await new Promise((r) => dockerd!.once('exit', r));
    // dockerd makes its data root a private bind mount; a killed dockerd leaves it mounted.
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m === root || m.startsWith(`${root}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    rmSync(root, { recursive: true, force: true });
  });

  it.skipIf(!canRunDockerd)('SIGKILL of the engine while its export streams: E_DAEMON, no image', async () => {
    const cpid = containerdPid();
    let killedAt: number | undefined;
    const e = await errorOf(
      openDaemon(tag, { dockerHost: `unix://${sock}` }).load({
        onProgress: (p) => {
          if (killedAt === undefined && p.phase === 'read' && p.bytes > 0) {
            killedAt = p.bytes;
            killIf(dockerd?.pid, 'dockerd', 'SIGKILL');
          }
        },
      }),
    );
    expect(killedAt).toBeDefined();
    expect(killedAt!).toBeLessThan(LAYER_BYTES / 2);
    expect(e.code).toBe('E_DAEMON');
    expect(e.message).toContain(`unix://${sock}`);
    expect(e.message).toMatch(/the export stream (broke off|ended early).*did the engine stop\?/);
    // The engine is gone for good: the next call is a clean E_DAEMON too.
    killIf(cpid, 'containerd', 'SIGKILL');
    const again = await errorOf(openDaemon(tag, { dockerHost: `unix://${sock}` }).load());
    expect(again.code).toBe('E_DAEMON');
  });
});
