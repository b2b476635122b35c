import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'core',
          include: [
            'test/unit/**/*.test.ts',
            'test/adapters/**/*.test.ts',
            'test/handlers/**/*.test.ts',
            'test/local/**/*.test.ts',
            'test/bench/**/*.test.ts',
          ],
        },
      },
      {
        // Tests of the packaged stack: `serverless package` runs once per stage in the global setup.
        extends: true,
        test: {
          name: 'stack',
          include: ['test/infra/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/packaged-stack.ts'],
        },
      },
    ],
  },
});
