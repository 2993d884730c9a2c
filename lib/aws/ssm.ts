import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { Sha256 } from "@smithy/core/checksum";
import { loadConfig, NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS } from "@smithy/core/config";
import { HttpRequest } from "@smithy/core/protocols";
import { NodeHttpHandler, streamCollector } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import { once } from "#lib/util/once";

/*
 * SSM Parameter Store's GetParameters, called directly: one JSON request (`AmazonSSM.GetParameters`,
 * AWS JSON 1.1) signed with SigV4 by the AWS SDK's own signer, credential chain, region lookup and
 * HTTP handler, all of which every function already bundles for its other clients. The SSM client
 * would add its whole service model (about 80 KB minified) and a client of its own for reading a
 * few secrets at start-up. The endpoint follows the SDK's settings (AWS_ENDPOINT_URL_SSM, then
 * AWS_ENDPOINT_URL), so a test points it at a local server that checks the signature.
 */

/** GetParameters takes at most this many names a call. */
export const MAX_NAMES_PER_CALL = 10;
const ATTEMPTS = 3;
const REQUEST_TIMEOUT_MS = 5_000;

/** SSM refused the request or answered something else than GetParameters' shape; never carries a value. */
export class SsmRequestError extends Error {
  override name = "SsmRequestError";
}

export interface SsmParameters {
  /** Value by parameter name, for the names SSM has. */
  values: Record<string, string>;
  /** The names SSM reports as not existing. */
  invalid: string[];
}

interface Signing {
  signer: SignatureV4;
  endpoint: URL;
  http: NodeHttpHandler;
}

function endpointFor(region: string): URL {
  const configured = process.env.AWS_ENDPOINT_URL_SSM ?? process.env.AWS_ENDPOINT_URL;
  if (configured) return new URL(configured);
  return new URL(`https://ssm.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}/`);
}

/** Resolved once per process, as a client resolves its configuration: region, credentials (refreshed by the chain), endpoint. */
const resolveSigning = once(async (): Promise<Signing> => {
  const region = await loadConfig(NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS)();
  return {
    signer: new SignatureV4({ service: "ssm", region, credentials: fromNodeProviderChain(), sha256: Sha256 }),
    endpoint: endpointFor(region),
    http: new NodeHttpHandler({ connectionTimeout: REQUEST_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }),
  };
});

interface Answer {
  status: number;
  body: string;
}

async function send(target: string, payload: unknown): Promise<Answer> {
  const { signer, endpoint, http } = await resolveSigning();
  const request = new HttpRequest({
    method: "POST",
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
    path: endpoint.pathname,
    headers: {
      host: endpoint.host,
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": target,
    },
    body: JSON.stringify(payload),
  });
  const signed = await signer.sign(request);
  const { response } = await http.handle(signed as HttpRequest);
  const body = Buffer.from(await streamCollector(response.body)).toString("utf8");
  return { status: response.statusCode, body };
}

function errorType(body: string): string {
  try {
    const { __type: type } = JSON.parse(body) as { __type?: unknown };
    if (typeof type === "string") return type.split("#").pop() ?? type;
  } catch {
    // Not JSON: the status says enough.
  }
  return "an unreadable error";
}

/** Throttling and server errors are worth another try, as the SDK's standard retry does; a refusal (signature, access, validation) is not. */
const retryable = (answer: Answer) => answer.status >= 500 || errorType(answer.body) === "ThrottlingException";

async function sendWithRetries(target: string, payload: unknown): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    let answer: Answer | undefined;
    let failure: unknown;
    try {
      answer = await send(target, payload);
    } catch (error) {
      failure = error;
    }
    if (answer && (!retryable(answer) || attempt === ATTEMPTS)) return answer;
    if (!answer && attempt === ATTEMPTS)
      throw new SsmRequestError(`SSM ${target} failed without an answer: ${failure instanceof Error ? failure.message : String(failure)}`);
    await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 1)));
  }
}

async function getParametersCall(names: readonly string[], decrypt: boolean): Promise<SsmParameters> {
  const answer = await sendWithRetries("AmazonSSM.GetParameters", { Names: names, WithDecryption: decrypt });
  if (answer.status !== 200) throw new SsmRequestError(`SSM GetParameters answered HTTP ${answer.status} (${errorType(answer.body)})`);
  let parsed: { Parameters?: { Name?: unknown; Value?: unknown }[]; InvalidParameters?: unknown[] };
  try {
    parsed = JSON.parse(answer.body) as typeof parsed;
  } catch {
    throw new SsmRequestError("SSM GetParameters answered a body that is not JSON");
  }
  const values: Record<string, string> = {};
  for (const parameter of parsed.Parameters ?? []) {
    if (typeof parameter.Name !== "string" || typeof parameter.Value !== "string")
      throw new SsmRequestError("SSM GetParameters answered a parameter without a name or value");
    values[parameter.Name] = parameter.Value;
  }
  const invalid = (parsed.InvalidParameters ?? []).filter((name): name is string => typeof name === "string");
  return { values, invalid };
}

/** The parameters by name (SecureStrings decrypted when `decrypt`), in as few calls as GetParameters allows. */
export async function getParameters(names: readonly string[], { decrypt }: { decrypt: boolean }): Promise<SsmParameters> {
  const result: SsmParameters = { values: {}, invalid: [] };
  for (let start = 0; start < names.length; start += MAX_NAMES_PER_CALL) {
    const part = await getParametersCall(names.slice(start, start + MAX_NAMES_PER_CALL), decrypt);
    Object.assign(result.values, part.values);
    result.invalid.push(...part.invalid);
  }
  return result;
}
