import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests share real services and a 2-core machine: files run a few at a time.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
