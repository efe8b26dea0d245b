/**
 * What test/services/start.sh started, read from its env file. Suites that need the services use
 * `describeServices`: they skip when the services are not there (one loud line is printed by the
 * global setup), except under CI=true, where they fail instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';

export interface Services {
  dockerHost: string;
  dockerDriver: string;
  /** `127.0.0.1:PORT` of the open registry. */
  registry: string;
  /** `127.0.0.1:PORT` of the registry with htpasswd basic auth. */
  authRegistry: string;
  user: string;
  password: string;
  dir: string;
}

export const SERVICES_DIR = process.env.IMGSIZE_SERVICES_DIR ?? '/tmp/imgsize-services';

/** Parses the env file start.sh writes; undefined when the services are not running. */
export function loadServices(): Services | undefined {
  let text: string;
  try {
    text = readFileSync(join(SERVICES_DIR, 'env'), 'utf8');
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  const need = ['IMGSIZE_DOCKER_HOST', 'IMGSIZE_REGISTRY', 'IMGSIZE_AUTH_REGISTRY', 'IMGSIZE_REGISTRY_USER', 'IMGSIZE_REGISTRY_PASSWORD'];
  if (need.some((k) => !env[k])) return undefined;
  return {
    dockerHost: env.IMGSIZE_DOCKER_HOST!,
    dockerDriver: env.IMGSIZE_DOCKER_DRIVER ?? 'unknown',
    registry: env.IMGSIZE_REGISTRY!,
    authRegistry: env.IMGSIZE_AUTH_REGISTRY!,
    user: env.IMGSIZE_REGISTRY_USER!,
    password: env.IMGSIZE_REGISTRY_PASSWORD!,
    dir: env.IMGSIZE_SERVICES_DIR ?? SERVICES_DIR,
  };
}

const IN_CI = process.env.CI === 'true';

/**
 * `describe` for suites that need the services: `fn` gets them. Without services the suite is
 * skipped, or under CI=true replaced by one failing test.
 */
export function describeServices(name: string, fn: (svc: Services) => void): void {
  const svc = loadServices();
  if (svc) {
    describe(name, () => fn(svc));
  } else if (IN_CI) {
    describe(name, () => {
      it('needs the services of test/services/start.sh', () => {
        throw new Error(`services not running (no ${join(SERVICES_DIR, 'env')}); CI=true requires them: see test/services/global-setup.ts`);
      });
    });
  } else {
    describe.skip(`${name} [services unavailable]`, () => {
      it('needs the services of test/services/start.sh', () => undefined);
    });
  }
}
