import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The SDK's notice that its 2027 releases need Node 22 says nothing about these tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const root = (dir: string) => fileURLToPath(new URL(dir, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^#lib\/(.*)$/, replacement: `${root("./lib/")}$1` },
      { find: /^#functions\/(.*)$/, replacement: `${root("./functions/")}$1` },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // One DynamoDB Local and one SQS emulator for the whole run; each file makes its own table and queues.
    globalSetup: ["./test/support/global-setup.ts"],
    env: { POWERTOOLS_LOG_LEVEL: "WARN", POWERTOOLS_METRICS_DISABLED: "true", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
