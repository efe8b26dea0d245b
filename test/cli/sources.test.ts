/**
 * Source names as skopeo (containers-transports) and syft write them, against the real services
 * (dockerd and a registry on loopback, test/services): `docker://`, `registry:`, `docker-daemon:`,
 * `podman:`, `oci-archive:`, and a bare `host/repo:tag` that goes to the engine and, when the engine
 * does not have it or cannot be reached, to the registry, saying so.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { ReportSchema, type Report } from '../../packages/core/src/report-schema.js';
import { describeServices } from '../services/services.js';
import { conformanceImage, writeDockerArchive } from '../sources/fixture-image.js';
import { dockerLoad, dockerOf, makeTmp, manifestDescriptor, putIndex, skopeoCopy, uniqueRepo } from '../sources/helpers.js';
import { runCliInProcess } from '../helpers/cli.js';

describeServices('CLI source names (skopeo / syft) against dockerd and a registry', (svc) => {
  const repo = uniqueRepo('imgsize-cli/src');
  const inRegistry = `${svc.registry}/${repo}:v1`;
  const inEngine = `${repo}-local:v1`;
  let tmp: Awaited<ReturnType<typeof makeTmp>>;
  let archive: string;
  let ociArchive: string;
  const missingSocket = 'unix:///tmp/imgsize-cli-no-engine-here.sock';

  beforeAll(async () => {
    tmp = await makeTmp('cli-sources');
    archive = join(tmp.dir, 'img.tar');
    await writeDockerArchive(archive, conformanceImage(inEngine));
    ociArchive = join(tmp.dir, 'img.oci.tar');
    await skopeoCopy(`docker-archive:${archive}`, `docker://${inRegistry}`);
    await skopeoCopy(`docker-archive:${archive}`, `oci-archive:${ociArchive}:v1`);
    await dockerLoad(dockerOf(svc), archive); // the engine has inEngine, not inRegistry
  });
  afterAll(async () => {
    await dockerOf(svc).getImage(inEngine).remove({ force: true }).catch(() => undefined);
    await tmp?.cleanup();
  });

  const analyze = async (ref: string, ...extra: string[]): Promise<{ code: number; report?: Report; stderr: string }> => {
    const r = await runCliInProcess(['analyze', ref, '--json', '--no-cache', '--docker-host', svc.dockerHost, ...extra]);
    return { code: r.code, stderr: r.stderr, report: r.code === 0 ? ReportSchema.parse(JSON.parse(r.stdout)) : undefined };
  };

  it('docker:// and registry: (and registry://) read the registry, without the engine', async () => {
    for (const ref of [`docker://${inRegistry}`, `registry:${inRegistry}`, `registry://${inRegistry}`]) {
      const r = await analyze(ref, '--docker-host', missingSocket);
      expect(r.code, `${ref}: ${r.stderr}`).toBe(0);
      expect(r.report!.image.source.kind).toBe('registry');
      expect(r.report!.summary.contentBytes).toBeGreaterThan(0);
      expect(r.stderr).toBe('');
    }
  });

  it('a bare name the engine has is read from the engine', async () => {
    const r = await analyze(inEngine);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report!.image.source.kind).toBe('daemon');
    expect(r.stderr).toBe('');
  });

  it('a bare name the engine does not have goes to the registry, with a note and a report warning', async () => {
    const r = await analyze(inRegistry);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report!.image.source.kind).toBe('registry');
    expect(r.stderr).toMatch(new RegExp(`imgsize: note: ${inRegistry.replace(/[.]/g, '\\.')}: the container engine does not have it .*; reading registry://${inRegistry.replace(/[.]/g, '\\.')} instead`));
    expect(JSON.stringify(r.report!.warnings)).toContain('the container engine does not have it');
  });

  it('a bare name with no engine reachable goes to the registry, saying so', async () => {
    const r = await analyze(inRegistry, '--docker-host', missingSocket);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report!.image.source.kind).toBe('registry');
    expect(r.stderr).toMatch(/note: .*no container engine is reachable \(cannot reach the container engine at unix:\/\/\/tmp\/imgsize-cli-no-engine-here\.sock/);
  });

  it('the registry answer equals the engine answer for the same image', async () => {
    const [eng, reg] = [await analyze(inEngine), await analyze(`docker://${inRegistry}`)];
    expect(reg.report!.summary.contentBytes).toBe(eng.report!.summary.contentBytes);
    expect(reg.report!.summary.files).toBe(eng.report!.summary.files);
    expect(reg.report!.summary.files).toBeGreaterThan(3);
    expect(reg.report!.layers.map((l) => l.diffId)).toEqual(eng.report!.layers.map((l) => l.diffId));
  });

  it('--metadata-only with a bare name reads the registry (only a registry can), not the daemon', async () => {
    const r = await analyze(inRegistry, '--metadata-only');
    expect(r.code, r.stderr).toBe(0);
    expect(r.report!.image.source.kind).toBe('registry');
    expect(r.report!.image.source.metadataOnly).toBe(true);
    expect(r.stderr).toMatch(/--metadata-only reads the registry, not the engine/);
  });

  it('docker-daemon: is the engine only: a missing image is an error naming registry:// in the hint', async () => {
    const r = await analyze(`docker-daemon:${inRegistry}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error E_IMAGE_NOT_FOUND: .*has no image/);
    expect(r.stderr).toMatch(/hint: .*registry:\/\//);
    expect((await analyze(`docker-daemon:${inEngine}`)).report!.image.source.kind).toBe('daemon');
  });

  it('podman: talks to the engine API at --docker-host (dockerd speaks the same API here)', async () => {
    const r = await analyze(`podman:${inEngine}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report!.image.source.kind).toBe('daemon');
  });

  it('oci-archive:<file>[:tag] reads the OCI layout in a tar, as skopeo wrote it', async () => {
    const [oci, tagged, plain] = [await analyze(`oci-archive:${ociArchive}`), await analyze(`oci-archive:${ociArchive}:v1`), await analyze(archive)];
    expect(oci.code, oci.stderr).toBe(0);
    expect(tagged.code, tagged.stderr).toBe(0);
    expect(oci.report!.summary.contentBytes).toBe(plain.report!.summary.contentBytes);
    expect(tagged.report!.layers.map((l) => l.diffId)).toEqual(plain.report!.layers.map((l) => l.diffId));
    const wrongTag = await analyze(`oci-archive:${ociArchive}:nope`);
    expect(wrongTag.code).toBe(2);
  });

  it('--platform picks from a multi-platform oci-archive (skopeo copy --all); a platform it lacks is E_PLATFORM', async () => {
    const arm = join(tmp.dir, 'arm64.tar');
    await writeDockerArchive(arm, conformanceImage(`${repo}:arm`, { architecture: 'arm64' }));
    await Promise.all([
      skopeoCopy(`docker-archive:${archive}`, `docker://${svc.registry}/${repo}:amd64`, ['--format', 'oci']),
      skopeoCopy(`docker-archive:${arm}`, `docker://${svc.registry}/${repo}:arm64`, ['--format', 'oci']),
    ]);
    const [a, r] = await Promise.all([manifestDescriptor(svc.registry, repo, 'amd64'), manifestDescriptor(svc.registry, repo, 'arm64')]);
    await putIndex(svc.registry, repo, 'multi', [
      { ...a, platform: { os: 'linux', architecture: 'amd64' } },
      { ...r, platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    const multi = join(tmp.dir, 'multi.oci.tar');
    await skopeoCopy(`docker://${svc.registry}/${repo}:multi`, `oci-archive:${multi}:multi`, ['--all']);
    for (const arch of ['arm64', 'amd64']) {
      const r2 = await analyze(`oci-archive:${multi}`, '--platform', `linux/${arch}`);
      expect(r2.code, r2.stderr).toBe(0);
      expect(r2.report!.image.architecture).toBe(arch);
    }
    const missing = await analyze(`oci-archive:${multi}`, '--platform', 'linux/s390x');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/E_PLATFORM: .*no manifest for platform linux\/s390x/);
    expect(missing.stderr).toMatch(/available: linux\/amd64, linux\/arm64/);
  });
});
