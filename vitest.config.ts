import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'fixtures/images/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // starts dockerd and two registries on loopback once per run (IMGSIZE_SERVICES=off to skip)
    globalSetup: ['test/services/global-setup.ts'],
  },
});
