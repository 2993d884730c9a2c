// What serverless.yml's IAM statements are scoped to, read from the code that defines it, so the
// template never spells a secret's name or a key prefix of its own:
//   custom.itemKeys          lib/store/keys.ts KEY_PREFIXES → the `dynamodb:LeadingKeys` pattern of each item kind
//   custom.secretParameters  lib/config/secrets.ts FUNCTION_SECRETS → each function's SSM parameter ARNs
// Serverless resolves `${file(./deploy/access.js):…}`; tsx loads the TypeScript.
"use strict";

const { require: requireTypeScript } = require("tsx/cjs/api");

const { KEY_PREFIXES } = requireTypeScript("../lib/store/keys.ts", __filename);
const { FUNCTION_SECRETS } = requireTypeScript("../lib/config/secrets.ts", __filename);

module.exports.itemKeys = Object.fromEntries(Object.entries(KEY_PREFIXES).map(([kind, prefix]) => [kind, `${prefix}*`]));

module.exports.secretParameters = ({ resolveVariable }) =>
  resolveVariable("self:custom.ssmPrefix").then((prefix) =>
    Object.fromEntries(
      Object.entries(FUNCTION_SECRETS).map(([functionName, secrets]) => [
        functionName,
        secrets.map((secret) => ({ "Fn::Sub": `arn:aws:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${prefix}/${secret}` })),
      ]),
    ),
  );
