/**
 * vitest globalSetup: starts the real services (Docker engine, two registries) once for the whole
 * run with start.sh, and stops them at the end if this run started them. When they cannot be
 * started here (not root, no apt-get, no dockerd), prints ONE loud line and lets the suites skip;
 * under CI=true that is a failure instead.
 *
 * Set IMGSIZE_SERVICES=off to skip starting them, IMGSIZE_KEEP_SERVICES=1 to leave them running.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

function banner(line: string): void {
  const bar = '!'.repeat(Math.min(100, line.length));
  process.stderr.write(`\n${bar}\n${line}\n${bar}\n\n`);
}

export default function setup(): () => void {
  const inCi = process.env.CI === 'true';
  if (process.env.IMGSIZE_SERVICES === 'off') {
    if (inCi) throw new Error('IMGSIZE_SERVICES=off under CI=true: the daemon/registry suites must run in CI');
    banner('imgsize services: IMGSIZE_SERVICES=off — daemon, registry and OCI-layout source suites are SKIPPED');
    return () => undefined;
  }
  const started = Date.now();
  const r = spawnSync('bash', [join(HERE, 'start.sh')], { encoding: 'utf8', timeout: 900_000 });
  const ok = r.status === 0;
  const startedHere = ok && r.stdout.includes('started') && !r.stdout.includes('already-running');
  if (!ok) {
    const reason = (r.stderr || r.error?.message || `exit ${String(r.status)}`).trim().split('\n').pop() ?? 'unknown reason';
    const line = `imgsize services NOT available (${reason}) — daemon, registry and OCI-layout source suites are SKIPPED`;
    if (inCi) throw new Error(`${line}\nCI=true requires them.\n${r.stderr}`);
    banner(line);
    return () => undefined;
  }
  process.stderr.write(`[imgsize-services] ${startedHere ? 'started' : 'reused'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return () => {
    if (!startedHere || process.env.IMGSIZE_KEEP_SERVICES === '1') return;
    spawnSync('bash', [join(HERE, 'stop.sh')], { encoding: 'utf8', timeout: 120_000 });
  };
}
