import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module). Node loads the CJS one for the
    // libraries; Vite would pick the ESM one for our sources, and graphql refuses to
    // mix two copies. One entry for everybody.
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/global-setup.ts"],
    // Reelay processes the tests start run with NODE_ENV=production, which requires an encryption key.
    env: { NODE_ENV: "test", ENCRYPTION_KEY: "cmVlbGF5IHRlc3QgZW5jcnlwdGlvbiBrZXkgMzIgYiE=" },
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file has its own database and Redis prefix, so files run in parallel safely.
    fileParallelism: true,
  },
});
