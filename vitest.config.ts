import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'fixtures/images/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // first bundles the HTML report's script (a generated, git-ignored module page.ts imports);
    // then starts dockerd and two registries on loopback once per run (IMGSIZE_SERVICES=off to skip)
    globalSetup: ['test/html-client-setup.ts', 'test/services/global-setup.ts'],
  },
});
