// The chaos suite (`npm run test:chaos`): real engine processes of the build, one scenario at a time
// (they kill processes and stop services, and they time recoveries), on the same services as `npm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    globalSetup: ['test/setup/services.ts'],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
