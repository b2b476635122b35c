import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    // Infra tests package the stack with esbuild: give them room on a 2-core CI machine.
    testTimeout: 20_000,
    hookTimeout: 180_000,
  },
});
