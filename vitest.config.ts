import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Native addon + big temp files: forks keep each test file in its own process.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: running every heavy file at once only makes each slower.
    maxWorkers: 2,
  },
});
