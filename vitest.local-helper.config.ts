import { mergeConfig } from "vitest/config";
import base from "./vitest.config";
export default mergeConfig(base, { test: { globalSetup: ["./test/support/global-setup.ts"] } });
