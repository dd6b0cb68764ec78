import { defineConfig } from 'vitest/config';
import { NoSkippedTests } from './test/helpers/no_skipped_tests.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 30000,
    hookTimeout: 60000,
    pool: 'forks',
    reporters: process.env.CI ? ['default', new NoSkippedTests()] : ['default'],
    // `vitest run --coverage` (CI): what the in-process tests run of src/. Servers the tests start
    // as processes (bin/concord.js, from dist/) are not measured.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'html'],
      reportOnFailure: true,
    },
  },
});
