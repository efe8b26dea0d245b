import { describe, expect, it } from 'vitest';
import { applyOverlay } from '../overlay.js';
import { attribute } from './index.js';
import { makeImage, type SpecImage } from './testing.js';

const stanza = (name: string, fields: Record<string, string> = {}) =>
  [`Package: ${name}`, 'Status: install ok installed', 'Architecture: amd64', 'Version: 1', ...Object.entries(fields).map(([k, v]) => `${k}: ${v}`)].join('\n');
const status = (...s: string[]) => `${s.join('\n\n')}\n`;
const list = (pkg: string, ...paths: string[]) => ({ path: `/var/lib/dpkg/info/${pkg}.list`, content: `${paths.join('\n')}\n` });

function analyze(spec: SpecImage) {
  const image = makeImage(spec);
  return attribute(image, applyOverlay(image.layers.map((l) => l.scan.entries)), { minFindingBytes: 1 });
}

describe('apt-recommends finding', () => {
  const base = stanza('libc6');
  it('names the packages a layer installed only as Recommends (Depends chains, alternatives and Provides kept)', () => {
    const a = analyze({
      layers: [
        { createdBy: 'ADD rootfs /', entries: [{ path: '/var/lib/dpkg/status', content: status(base) }, list('libc6', '/lib/libc.so.6'), '/lib/libc.so.6:1000'] },
        {
          createdBy: 'RUN /bin/sh -c apt-get update && apt-get install -y procps # buildkit',
          entries: [
            {
              path: '/var/lib/dpkg/status',
              content: status(base, stanza('procps', { Depends: 'libc6 (>= 2.34), libproc2-0 | libproc-virtual, init-system-helpers', Recommends: 'psmisc' }), stanza('libproc2-0-real', { Provides: 'libproc2-0' }), stanza('init-system-helpers'), stanza('psmisc', { Depends: 'libc6' })),
            },
            list('procps', '/usr/bin/ps'),
            list('libproc2-0-real', '/usr/lib/libproc2.so'),
            list('init-system-helpers', '/usr/bin/deb-systemd-helper'),
            list('psmisc', '/usr/bin/killall', '/usr/bin/fuser'),
            '/usr/bin/ps:100',
            '/usr/lib/libproc2.so:200',
            '/usr/bin/deb-systemd-helper:50',
            '/usr/bin/killall:3000',
            '/usr/bin/fuser:4000',
          ],
        },
      ],
    });
    const f = a.findings.find((x) => x.id === 'apt-recommends');
    expect(f?.bytes).toBe(7000);
    expect(f?.note).toContain('psmisc');
    expect(f?.layers).toEqual([1]);
  });

  it('is silent with --no-install-recommends', () => {
    const a = analyze({
      layers: [
        { entries: [{ path: '/var/lib/dpkg/status', content: status(base) }] },
        {
          createdBy: 'RUN /bin/sh -c apt-get install -y --no-install-recommends procps # buildkit',
          entries: [{ path: '/var/lib/dpkg/status', content: status(base, stanza('procps'), stanza('psmisc')) }, list('psmisc', '/usr/bin/killall'), '/usr/bin/killall:3000'],
        },
      ],
    });
    expect(a.findings.find((x) => x.id === 'apt-recommends')).toBeUndefined();
  });
});
