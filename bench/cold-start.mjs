// Cold-start benchmark (issue 13): real pulls into an empty store, against imgsize's estimate.
//
//   pnpm imgsize --version >/dev/null && node bench/cold-start.mjs [--quick] [--only=name,…]   (root: mount, dockerd, containerd)
//
// Options: --quick (debian-minbase at loopback only), --only=<name,…> (a subset of the images).
// 1. Images (cached in $COLDSTART_DIR, default /var/tmp/imgsize-coldstart): the synthetic naive
//    ML image at --scale 9 (1.09 GB of layer tars), and two Debian bookworm images built by the real dockerd
//    (test/services) from the debootstrap'd rootfs of test/real-image: "debian-minbase" (FROM scratch,
//    ADD the rootfs) and "debian-build" (the real-image test's image: build-essential, python3).
//    Each is pushed by `docker push` (gzip layers) to the local CNCF registry, and re-pushed with
//    its layers recompressed by `zstd -3` under an OCI manifest (same diffIDs and config).
// 2. `imgsize calibrate --dir <pull data root>` on this machine; its profile drives every estimate.
// 3. Pulls, each into an empty store: `docker pull` on a private dockerd (overlay2, own data root
//    and socket) and `ctr image pull` on a private containerd (overlayfs), at loopback speed and
//    through bench/rate-proxy.mjs at 1 Gbps and 200 Mbps.
// 4. The estimate of each: imgsize's analyze report of the pushed image (registry source: exact
//    compressed sizes and codecs) re-estimated with the calibrated profile, the engine's
//    concurrency/unpack order and the link's bandwidth (loopback: measured by fetching the blobs
//    with curl, 3 at a time).
// Prints the Markdown table for BENCHMARKS.md and writes $COLDSTART_DIR/results.json.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'packages/cli/dist/main.js');
const core = await import(join(ROOT, 'packages/core/dist/index.js'));
const OUT = process.env.COLDSTART_DIR ?? '/var/tmp/imgsize-coldstart';
const QUICK = process.argv.includes('--quick');
// --only name,name: a subset of the images (e.g. --only debian-minbase,debian-build).
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
mkdirSync(OUT, { recursive: true });

const env = Object.fromEntries(
  readFileSync('/tmp/imgsize-services/env', 'utf8')
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const REG = env.IMGSIZE_REGISTRY;
const BUILD = env.IMGSIZE_DOCKER_HOST;
const say = (s) => process.stderr.write(`[cold-start] ${s}\n`);
const run = (cmd, args, o = {}) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...o });
const dockerB = (...a) => run('docker', ['-H', BUILD, ...a]);

// ---------------------------------------------------------------- registry helpers (HTTP API)
function req(method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('error', reject);
    if (body && typeof body.pipe === 'function') body.pipe(r);
    else r.end(body);
  });
}
const MANIFEST_ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
async function getManifest(repo, tag) {
  const r = await req('GET', `http://${REG}/v2/${repo}/manifests/${tag}`, { headers: { accept: MANIFEST_ACCEPT } });
  if (r.status !== 200) throw new Error(`manifest ${repo}:${tag}: HTTP ${r.status}`);
  return JSON.parse(r.body.toString());
}
async function pushBlobFile(repo, file, digest, size) {
  if ((await req('HEAD', `http://${REG}/v2/${repo}/blobs/${digest}`)).status === 200) return;
  const start = await req('POST', `http://${REG}/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`upload start: HTTP ${start.status}`);
  const loc = new URL(start.headers.location, `http://${REG}`);
  loc.searchParams.set('digest', digest);
  const put = await req('PUT', loc.href, { headers: { 'content-type': 'application/octet-stream', 'content-length': size }, body: createReadStream(file) });
  if (put.status !== 201) throw new Error(`upload ${digest}: HTTP ${put.status} ${put.body}`);
}

// ---------------------------------------------------------------- 1. images
function dockerLoadTag(tarPath) {
  const out = dockerB('load', '-i', tarPath);
  const m = /Loaded image(?: ID)?: (\S+)/.exec(out);
  if (!m) throw new Error(`docker load: ${out}`);
  return m[1];
}

async function ensurePushed(name, prepare) {
  const repo = `coldstart/${name}`;
  const have = await req('GET', `http://${REG}/v2/${repo}/manifests/gzip`, { headers: { accept: MANIFEST_ACCEPT } });
  if (have.status !== 200) {
    const local = await prepare();
    dockerB('tag', local, `${REG}/${repo}:gzip`);
    say(`docker push ${REG}/${repo}:gzip`);
    dockerB('push', `${REG}/${repo}:gzip`);
  }
  // zstd twin: same config and diffIDs, layers recompressed with zstd -3 (BuildKit's default level).
  const haveZ = await req('GET', `http://${REG}/v2/${repo}/manifests/zstd`, { headers: { accept: MANIFEST_ACCEPT } });
  if (haveZ.status !== 200) {
    const m = await getManifest(repo, 'gzip');
    const layers = [];
    for (const l of m.layers) {
      const gz = join(OUT, 'blob.gz');
      const zs = join(OUT, 'blob.zst');
      const r = await req('GET', `http://${REG}/v2/${repo}/blobs/${l.digest}`);
      writeFileSync(gz, r.body);
      run('sh', ['-c', `gzip -dc ${gz} | zstd -3 -q -T1 -c > ${zs}`]);
      const digest = `sha256:${createHash('sha256').update(readFileSync(zs)).digest('hex')}`;
      const size = statSync(zs).size;
      await pushBlobFile(repo, zs, digest, size);
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest, size });
      rmSync(gz);
      rmSync(zs);
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { ...m.config, mediaType: 'application/vnd.oci.image.config.v1+json' },
      layers,
    };
    const put = await req('PUT', `http://${REG}/v2/${repo}/manifests/zstd`, {
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: JSON.stringify(manifest),
    });
    if (put.status !== 201) throw new Error(`manifest zstd: HTTP ${put.status} ${put.body}`);
    say(`pushed ${repo}:zstd (${layers.length} layers recompressed with zstd -3)`);
  }
  return repo;
}

const IMAGES = [
  {
    // --scale 9: 1.09 GB of layer tars (the full image is 14.8 GB shipped).
    name: 'naive-ml-s9',
    prepare: () => {
      const tar = join(OUT, 'naive-s9.tar');
      if (!existsSync(tar)) run('pnpm', ['-s', 'exec', 'tsx', 'fixtures/images/cli.ts', 'naive-ml', tar, '--scale', '9'], { cwd: ROOT, stdio: 'inherit' });
      return dockerLoadTag(tar);
    },
  },
  {
    name: 'debian-minbase',
    prepare: () => {
      const base = '/var/tmp/imgsize-test/base-bookworm-minbase-v1.tar';
      if (!existsSync(base)) run('bash', [join(ROOT, 'test/real-image/build-base.sh')], { stdio: 'inherit' });
      const ctx = join(OUT, 'ctx-minbase');
      mkdirSync(ctx, { recursive: true });
      copyFileSync(base, join(ctx, 'base.tar'));
      writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nADD base.tar /\nCMD ["bash"]\n');
      dockerB('build', '-q', '-t', 'coldstart-debian-minbase:latest', ctx);
      rmSync(ctx, { recursive: true });
      return 'coldstart-debian-minbase:latest';
    },
  },
  {
    name: 'debian-build',
    prepare: () => {
      const saved = '/var/tmp/imgsize-test/image-46b6205bfea2.tar';
      if (!existsSync(saved)) throw new Error(`${saved} missing: run test/real-image/debian-image.test.ts once (it builds and caches the image)`);
      return dockerLoadTag(saved);
    },
  },
  {
    // One layer of one 4 KiB file: what a pull costs besides its bytes and entries (manifest and
    // config round trips, image and snapshot bookkeeping, the CLI's own start), per engine.
    name: 'tiny',
    prepare: () => {
      const ctx = join(OUT, 'ctx-tiny');
      mkdirSync(join(ctx, 'root'), { recursive: true });
      writeFileSync(join(ctx, 'root', 'hello.txt'), Buffer.alloc(4096, 'x'));
      run('tar', ['-C', join(ctx, 'root'), '-cf', join(ctx, 'tiny.tar'), 'hello.txt']);
      writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nADD tiny.tar /\nCMD ["/hello.txt"]\n');
      dockerB('build', '-q', '-t', 'coldstart-tiny:latest', ctx);
      rmSync(ctx, { recursive: true });
      return 'coldstart-tiny:latest';
    },
  },
];

// ---------------------------------------------------------------- 2. engines
const PULL_DOCKER_SOCK = '/tmp/imgsize-coldstart-docker.sock';
const PULL_CTRD_SOCK = '/tmp/imgsize-coldstart-containerd.sock';
/**
 * Where the engines' stores and calibrate's measurements live: $COLDSTART_PULL_DIR, else a fresh
 * journalled ext4 on a loop device (a sparse file under $COLDSTART_DIR). Why not a directory of
 * the root file system: this machine's root ext4 has no journal, and ext4 without a journal skips
 * every inode deleted in the last 60 s (360 s while its table block is dirty) when it allocates one
 * (fs/ext4/ialloc.c, recently_deleted()). Each pull follows the removal of the previous image, so
 * its file creates scanned past thousands of just-freed inodes: `perf` showed containerd's apply
 * of the 6.7k-entry debian-minbase layer spending its time in recently_deleted() under
 * ext4_create, and the same pulls took 2.9-4.9 s there against 1.5-2.5 s on a journalled ext4
 * (BENCHMARKS.md §7). A node's image store is a journalled file system.
 */
function pullDataDir() {
  if (process.env.COLDSTART_PULL_DIR) return { dir: process.env.COLDSTART_PULL_DIR, fs: 'as given', unmount: () => {} };
  const img = join(OUT, 'pullfs.img');
  const mnt = '/tmp/imgsize-coldstart-pullfs';
  spawnSync('umount', [mnt], { stdio: 'ignore' });
  rmSync(img, { force: true });
  run('truncate', ['-s', '40G', img]);
  run('mkfs.ext4', ['-q', '-F', img]);
  mkdirSync(mnt, { recursive: true });
  run('mount', ['-o', 'loop', img, mnt]);
  return {
    dir: join(mnt, 'pull'),
    fs: 'ext4 (journal) on a loop device',
    unmount: () => {
      spawnSync('umount', [mnt], { stdio: 'ignore' });
      rmSync(img, { force: true });
    },
  };
}
const pullFs = pullDataDir();
const DATA = pullFs.dir;
const CTRD_LOG = join(OUT, 'containerd-debug.log');
const started = [];
/** Processes whose CPU each pull records: set as they start. */
const pids = {};
const cpuPids = () => ({ ...pids, ...(registryPid && { registry: registryPid }) });

async function waitFor(what, f, seconds = 60) {
  for (let i = 0; i < seconds * 4; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not start`);
}

async function startDockerd() {
  mkdirSync(join(DATA, 'docker'), { recursive: true });
  rmSync(PULL_DOCKER_SOCK, { force: true });
  const p = spawn(
    'dockerd',
    [
      '--storage-driver=overlay2',
      '--data-root', join(DATA, 'docker/data'),
      '--exec-root', '/tmp/imgsize-coldstart-docker-exec',
      '--pidfile', '/tmp/imgsize-coldstart-docker.pid',
      '--iptables=false', '--ip-masq=false', '--ip-forward=false', '--bridge=none',
      '--log-level=warn',
      '-H', `unix://${PULL_DOCKER_SOCK}`,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'], detached: true },
  );
  started.push(p);
  pids.dockerd = p.pid;
  await waitFor('dockerd', () => spawnSync('docker', ['-H', `unix://${PULL_DOCKER_SOCK}`, 'info'], { stdio: 'ignore' }).status === 0);
}

async function startContainerd() {
  const dir = join(DATA, 'containerd');
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 'config.toml');
  writeFileSync(cfg, `version = 2\nroot = "${join(dir, 'root')}"\nstate = "/tmp/imgsize-coldstart-containerd-state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${PULL_CTRD_SOCK}"\n`);
  rmSync(PULL_CTRD_SOCK, { force: true });
  // Debug log: the walking differ logs each layer's apply ("diff applied", d=<duration>), which
  // gives the measured unpack time per layer (stages in results.json).
  const log = openSync(CTRD_LOG, 'w');
  const p = spawn('containerd', ['--config', cfg, '--log-level', 'debug'], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  started.push(p);
  pids.containerd = p.pid;
  await waitFor('containerd', () => spawnSync('ctr', ['-a', PULL_CTRD_SOCK, 'version'], { stdio: 'ignore' }).status === 0);
}

function stopAll() {
  for (const p of started.reverse()) {
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  started.length = 0;
}
/** After the daemons have exited (they hold mounts in the store): the loop file system goes. */
async function stopAllAndUnmount() {
  const pidsLeft = [pids.dockerd, pids.containerd].filter(Boolean);
  stopAll();
  for (let i = 0; i < 80 && pidsLeft.some((pid) => existsSync(`/proc/${pid}`)); i++) await new Promise((r) => setTimeout(r, 250));
  // Leftover snapshot and overlay mounts under the store, innermost first.
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(DATA));
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  pullFs.unmount();
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

/**
 * Runs a pull and times it; every output line is kept with the second it arrived (the engines'
 * own progress: docker's per-layer "Download complete" / "Pull complete", ctr's "unpacking" and
 * "done: <unpack time>"), so each row also records measured stage times.
 */
const timed = (cmd, args) =>
  new Promise((resolve) => {
    spawnSync('sync');
    const t0 = performance.now();
    const timeFile = join(OUT, 'pull-cpu.txt');
    const daemons = Object.fromEntries(Object.entries(cpuPids()).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const m0 = machineCpu();
    const p = spawn('/usr/bin/time', ['-f', 'cpu %U %S', '-o', timeFile, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let err = '';
    let buf = '';
    p.stdout.on('data', (d) => {
      const t = (performance.now() - t0) / 1000;
      buf += d.toString();
      // ctr redraws its progress table with escape sequences: keep only the lines that matter.
      const parts = buf.split(/\r?\n/);
      buf = parts.pop();
      for (const l of parts) {
        const clean = l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim();
        if (/Download complete|Pull complete|Already exists|^unpacking |^done|^elapsed/.test(clean)) lines.push({ t, line: clean });
      }
    });
    p.stderr.on('data', (d) => (err += d.toString()));
    p.on('close', (code) => {
      const s = (performance.now() - t0) / 1000;
      if (code !== 0) resolve({ error: err.trim().split('\n').pop() || `exit ${code}` });
      else {
        // CPU seconds used during the pull by each process of the pull (the CLI itself, the
        // daemons, the registry, the proxy) and by the whole machine (busy/idle: 2 cores shared).
        const cpu = {};
        for (const [k, pid] of Object.entries(cpuPids())) if (daemons[k] !== null && daemons[k] !== undefined) cpu[k] = Number((cpuSeconds(pid) - daemons[k]).toFixed(2));
        const cli = /cpu ([\d.]+) ([\d.]+)/.exec(readFileSync(timeFile, 'utf8'));
        if (cli) cpu.cli = Number((Number(cli[1]) + Number(cli[2])).toFixed(2));
        const m1 = machineCpu();
        cpu.machineBusy = Number((m1[0] - m0[0]).toFixed(2));
        cpu.machineIdle = Number((m1[1] - m0[1]).toFixed(2));
        resolve({ seconds: s, lines, cpu });
      }
    });
  });

/** CPU seconds a process and its reaped children have used (utime + stime + cutime + cstime). */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return null;
  }
}
/** Machine-wide CPU seconds: [busy, idle] over all cores, from /proc/stat. */
function machineCpu() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return [f.reduce((a, b) => a + b, 0) - idle, idle].map((x) => x / 100);
}
const registryPid = Number(spawnSync('pgrep', ['-f', 'registry-open/config.yml'], { encoding: 'utf8' }).stdout.trim().split('\n')[0]) || null;

/** Go duration ("1.5s", "850.2ms", "1m2.5s", "750µs") in seconds. */
function goDuration(s) {
  let total = 0;
  for (const [, n, u] of s.matchAll(/([\d.]+)(h|ms|µs|us|ns|m|s)/g)) total += Number(n) * { h: 3600, m: 60, s: 1, ms: 1e-3, µs: 1e-6, us: 1e-6, ns: 1e-9 }[u];
  return total;
}

/** Measured stages of a docker pull: per layer (manifest order) when its blob was downloaded and when it was applied. */
function dockerStages(m, manifest) {
  const at = (word, digest) => m.lines.find((l) => l.line.startsWith(`${digest.slice(7, 19)}: ${word}`))?.t ?? null;
  return { layers: manifest.layers.map((l) => ({ size: l.size, downloaded: at('Download complete', l.digest), applied: at('Pull complete', l.digest) })) };
}

/**
 * Measured stages of a ctr pull: when the fetch (into the content store) ended, how long the
 * unpack took (ctr's own "done: …"), and each layer's apply time from containerd's debug log.
 */
function ctrStages(m, manifest, logOffset) {
  const fetched = m.lines.find((l) => l.line.startsWith('unpacking '))?.t ?? null;
  const done = m.lines.find((l) => l.line.startsWith('done'));
  const log = readFileSync(CTRD_LOG).subarray(logOffset).toString();
  const applied = new Map();
  for (const line of log.split('\n')) {
    if (!line.includes('msg="diff applied"')) continue;
    const d = / d=(\S+)/.exec(line)?.[1];
    const digest = /digest="?(sha256:[0-9a-f]{64})/.exec(line)?.[1];
    if (d && digest) applied.set(digest, goDuration(d));
  }
  return {
    fetchedAt: fetched,
    unpackSeconds: done ? goDuration(done.line.slice(5)) : null,
    layers: manifest.layers.map((l) => ({ size: l.size, applySeconds: applied.get(l.digest) ?? null })),
  };
}

const ENGINES = {
  docker: {
    // The calibrated profile's own order (docker base: 3 downloads, unpack per layer; inflate
    // beside the docker-applyLayer unpack only when calibrate found ≥ 3 cores).
    profileOverrides: [],
    empty: (ref) => {
      spawnSync('docker', ['-H', `unix://${PULL_DOCKER_SOCK}`, 'rmi', '-f', ref], { stdio: 'ignore' });
      const left = run('docker', ['-H', `unix://${PULL_DOCKER_SOCK}`, 'images', '-aq']).trim();
      if (left) throw new Error(`docker store not empty: ${left}`);
    },
    // Not -q: the per-layer status lines are the measured stages (same API call, same work).
    pull: (ref) => timed('docker', ['-H', `unix://${PULL_DOCKER_SOCK}`, 'pull', ref]),
    stages: (m, manifest) => dockerStages(m, manifest),
  },
  ctr: {
    // ctr image pull (1.6): content.Fetch with no download limit, then unpack layer by layer.
    profileOverrides: ['concurrency=0', 'unpack-start=after-all-fetched', 'gzip-concurrent=false'],
    empty: (ref) => {
      spawnSync('ctr', ['-a', PULL_CTRD_SOCK, '-n', 'bench', 'image', 'rm', '--sync', ref], { stdio: 'ignore' });
      const left = run('ctr', ['-a', PULL_CTRD_SOCK, '-n', 'bench', 'snapshots', 'ls']).trim().split('\n').slice(1).filter(Boolean);
      if (left.length) throw new Error(`containerd snapshots not empty: ${left.length}`);
    },
    pull: (ref) => timed('ctr', ['-a', PULL_CTRD_SOCK, '-n', 'bench', 'image', 'pull', '--plain-http', ref]),
    stages: (m, manifest, logOffset) => ctrStages(m, manifest, logOffset),
  },
};

// ---------------------------------------------------------------- 3. links
async function startProxy(rate) {
  const p = spawn('node', [join(ROOT, 'bench/rate-proxy.mjs'), '--target', REG, '--rate', rate], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  started.push(p);
  pids.proxy = p.pid;
  const addr = await new Promise((resolve, reject) => {
    p.stdout.once('data', (d) => resolve(/listening (\S+)/.exec(d.toString())[1]));
    p.once('exit', () => reject(new Error('proxy exited')));
  });
  return {
    addr,
    stop: () => {
      delete pids.proxy;
      process.kill(p.pid, 'SIGTERM');
    },
  };
}

/**
 * What the link delivers now: the image's blobs fetched with curl, 3 at a time, straight from the
 * registry (loopback) or through the proxy. On a loaded machine the proxy itself may not reach
 * its nominal rate, so the estimate uses this achieved rate (the table shows both).
 */
async function linkBitsPerSecond(host, repo, manifest) {
  const urls = manifest.layers.map((l) => `http://${host}/v2/${repo}/blobs/${l.digest}`);
  const bytes = manifest.layers.reduce((s, l) => s + l.size, 0);
  const t0 = performance.now();
  run('sh', ['-c', `printf '%s\\n' ${urls.join(' ')} | xargs -P3 -n1 curl -sf -o /dev/null`]);
  return (bytes * 8) / ((performance.now() - t0) / 1000);
}

// ---------------------------------------------------------------- main
const results = [];
/** engine/codec pairs that failed once (dockerd 20.10's graphdriver pull cannot apply zstd layers). */
const unsupported = new Set();
try {
  const repos = [];
  for (const img of QUICK ? IMAGES.slice(1, 2) : IMAGES.filter((i) => !ONLY || ONLY.includes(i.name))) repos.push({ name: img.name, repo: await ensurePushed(img.name, img.prepare) });

  await startDockerd();
  let ctrOk = true;
  try {
    await startContainerd();
  } catch (e) {
    ctrOk = false;
    say(`ctr skipped: ${e.message}`);
  }

  // Calibrated again before each image: the machine is shared, so its load (and wall-clock rates) drift.
  const profilePath = join(OUT, 'calibrated-profile.json');
  const calibrate = () => {
    say('imgsize calibrate');
    run('node', [CLI, 'calibrate', '--dir', DATA, '--output', profilePath, '--quiet', '--sample', '32MB']);
    const p = JSON.parse(readFileSync(profilePath, 'utf8'));
    say(p.source);
    return p;
  };

  const links = QUICK ? [['loopback', null]] : [['loopback', null], ['1 Gbps', '1Gbps'], ['200 Mbps', '200Mbps']];
  for (const { name, repo } of repos) {
    const calibrated = calibrate();
    for (const codec of ['gzip', 'zstd']) {
      const ref = `${repo}:${codec}`;
      say(`analyze registry://${REG}/${ref}`);
      const report = JSON.parse(run('node', [CLI, 'analyze', `registry://${REG}/${ref}`, '--json', '--quiet', '--pull-profile', profilePath]));
      const manifest = await getManifest(repo, codec);
      for (const [link, rate] of links) {
        const proxy = rate ? await startProxy(rate) : null;
        const host = proxy ? proxy.addr : REG;
        const nominal = rate ? Number(rate.replace('Gbps', 'e9').replace('Mbps', 'e6')) : null;
        const achieved = await linkBitsPerSecond(host, repo, manifest);
        // A shaped link never gives more than its rate; timer slack can make curl's figure a bit higher.
        const bits = nominal === null ? achieved : Math.min(nominal, achieved);
        for (const [engine, e] of Object.entries(ENGINES)) {
          if (engine === 'ctr' && !ctrOk) continue;
          if (unsupported.has(`${engine}/${codec}`)) continue;
          const pullRef = `${host}/${ref}`;
          e.empty(pullRef);
          const logOffset = existsSync(CTRD_LOG) ? statSync(CTRD_LOG).size : 0;
          const m = await e.pull(pullRef);
          const stages = m.seconds === undefined ? null : e.stages(m, manifest, logOffset);
          e.empty(pullRef);
          const profile = core.applyProfileOverrides(calibrated, e.profileOverrides, { bits: Number, bytes: Number });
          // (re-estimate later runs' rows with bench/cold-start-reestimate.mjs when the model changes)
          const est = core.buildColdStart(report.layers, { ...profile, bandwidthBitsPerSecond: bits });
          const row = {
            loadAverage: (await import('node:os')).loadavg()[0],
            calibration: calibrated.source,
            pullFileSystem: pullFs.fs,
            image: name,
            codec,
            engine,
            link,
            bandwidthBitsPerSecond: bits,
            nominalBitsPerSecond: nominal,
            achievedBitsPerSecond: achieved,
            compressedBytes: report.summary.compressedBytes,
            uncompressedBytes: report.summary.tarBytes,
            estimateSeconds: est.totalSeconds,
            fetchOnlySeconds: ((report.summary.compressedBytes ?? 0) * 8) / bits,
            bottleneck: est.bottleneck,
            shares: est.shares,
            stages: { fetch: est.fetchSeconds, decompress: est.decompressSeconds, unpack: est.unpackSeconds },
            measuredSeconds: m.seconds ?? null,
            measuredStages: stages,
            cpuSeconds: m.cpu ?? null,
            error: m.error ?? null,
          };
          results.push(row);
          if (m.error && codec === 'zstd') unsupported.add(`${engine}/${codec}`);
          say(
            `${name} ${codec} ${engine} ${link}: estimate ${est.totalSeconds.toFixed(1)} s (${est.bottleneck}), measured ${m.seconds === undefined ? `failed: ${m.error}` : `${m.seconds.toFixed(1)} s`}`,
          );
        }
        proxy?.stop();
      }
    }
  }
} finally {
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await stopAllAndUnmount();
}

const fmt = (s) => (s === null ? '—' : s < 10 ? s.toFixed(2) : s.toFixed(1));
const gb = (b) => (b / 1e9).toFixed(2);
const lines = [
  '| image | layers | engine | link | compressed GB | uncompressed GB | fetch only s | estimate s (bottleneck: fetch/inflate/unpack share) | measured s | error | load |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const r of results) {
  const err = r.measuredSeconds === null ? `pull failed: ${r.error}` : `${(((r.estimateSeconds - r.measuredSeconds) / r.measuredSeconds) * 100).toFixed(0)}%`;
  const sh = `${Math.round(r.shares.fetch * 100)}/${Math.round(r.shares.decompress * 100)}/${Math.round(r.shares.unpack * 100)}`;
  lines.push(
    `| ${r.image} | ${r.codec} | ${r.engine} | ${r.link} (${(r.bandwidthBitsPerSecond / 1e9).toFixed(2)} Gbps achieved) | ${gb(r.compressedBytes)} | ${gb(r.uncompressedBytes)} | ${fmt(r.fetchOnlySeconds)} | ${fmt(r.estimateSeconds)} (${r.bottleneck}: ${sh}) | ${fmt(r.measuredSeconds)} | ${err} | ${r.loadAverage.toFixed(0)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
