/**
 * Configuration names are defined once, in lib/config (settings and secrets); what lists them
 * elsewhere (`.env.example`, the deployed functions' environment) is held to that list here, so a
 * renamed or misspelt setting fails a test instead of a deployment.
 */
import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { OPTIONAL_SECRETS, SECRET_NAMES } from "#lib/config/secrets";
import { SETTING_NAMES } from "#lib/config/settings";
import { LOCAL_PORTS } from "#lib/local/defaults";
import { packagedTemplate, resourcesOfType, type Template } from "./packaged";

/** Names the runtime or its libraries read, not the product's settings. */
const RUNTIME_NAMES = [
  "NODE_OPTIONS",
  "POWERTOOLS_SERVICE_NAME",
  "POWERTOOLS_METRICS_NAMESPACE",
  "POWERTOOLS_LOG_LEVEL",
  "SSM_PARAMETER_PREFIX",
];
const LOCAL_ONLY_NAMES = [...Object.values(LOCAL_PORTS).map((port) => port.env), "SANDBOX_SEED"];
const productNames: readonly string[] = [...SETTING_NAMES, ...SECRET_NAMES];

let template: Template;
beforeAll(async () => {
  template = await packagedTemplate();
}, 120_000);

describe("configuration names", () => {
  it(".env.example lists every secret but the rotation-only ones, and only names the product or the local stack reads", async () => {
    const names = (await readFile(".env.example", "utf8"))
      .split("\n")
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    expect(names.filter((name) => !productNames.includes(name) && !LOCAL_ONLY_NAMES.includes(name))).toEqual([]);
    expect(SECRET_NAMES.filter((name) => !names.includes(name) && !(OPTIONAL_SECRETS as readonly string[]).includes(name))).toEqual([]);
  });

  it("every deployed function's environment names only settings, and never a secret", () => {
    const functions = resourcesOfType(template, "AWS::Lambda::Function");
    expect(functions.length).toBeGreaterThan(5);
    for (const [name, resource] of functions) {
      const variables = Object.keys((resource.Properties?.Environment as { Variables?: object } | undefined)?.Variables ?? {});
      const unknown = variables.filter((variable) => !SETTING_NAMES.includes(variable as never) && !RUNTIME_NAMES.includes(variable));
      expect({ function: name, unknown }).toEqual({ function: name, unknown: [] });
      expect({ function: name, secrets: variables.filter((variable) => SECRET_NAMES.includes(variable as never)) }).toEqual({
        function: name,
        secrets: [],
      });
    }
  });
});
