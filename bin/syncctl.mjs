#!/usr/bin/env node
// The package's `syncctl` bin: runs the TypeScript entry (lib/cli/syncctl.ts) through tsx, with
// the project's tsconfig (its `#lib/*` paths), from whichever folder it is started in.
import { join } from "node:path";
import { register } from "tsx/esm/api";

register({ tsconfig: join(import.meta.dirname, "..", "tsconfig.json") });
await import("../lib/cli/syncctl.ts");
