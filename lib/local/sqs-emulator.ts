/**
 * The SQS emulator: fauxqs (SQS's current AWS JSON protocol) in this process.
 *
 * fauxqs' own `startFauxqs` listens on every interface and hands out queue URLs on the host
 * `sqs.<region>.localhost`, which does not resolve on most Linux machines; the AWS SDK sends
 * each call to its QueueUrl's host, so those calls would fail. We build the same app with
 * stores whose queue URLs use the address the caller connected to (e.g.
 * `http://127.0.0.1:9324/000000000000/events`), as ElasticMQ does, and listen on `host` only.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildApp } from "fauxqs";
import { LOCAL_AWS_REGION } from "./local-aws";

export class FauxqsNotFoundError extends Error {
  override name = "FauxqsNotFoundError";
}

export interface SqsEmulator {
  /** e.g. `http://127.0.0.1:9324` */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export interface SqsEmulatorOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Region in queue ARNs when a request does not name one. */
  region?: string;
}

export async function startSqsEmulator({ port, host = "127.0.0.1", region = LOCAL_AWS_REGION }: SqsEmulatorOptions): Promise<SqsEmulator> {
  const stores = await storesWithRequestHostQueueUrls();
  const app = buildApp({ logger: false, defaultRegion: region, stores });
  await app.listen({ port, host });
  // A TCP server that is listening always has an AddressInfo.
  const address = app.server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    endpoint: `http://${urlHost}:${address.port}`,
    port: address.port,
    stop: () => app.close(),
  };
}

type FauxqsStores = NonNullable<NonNullable<Parameters<typeof buildApp>[0]>["stores"]>;

/*
 * fauxqs (pinned at 1.9.2) exports its store classes only through `buildApp`'s options type,
 * so they are loaded from its dist folder, found the way Node looks for packages (its exports
 * map hides the files from require.resolve and import). An empty `host` makes
 * SqsStore.buildQueueUrl use the request's Host header instead of `sqs.<region>.<host>`.
 */
async function storesWithRequestHostQueueUrls(): Promise<FauxqsStores> {
  const dist = fauxqsDistFolder();
  const load = (file: string) => import(pathToFileURL(join(dist, file)).href);
  const [{ SqsStore }, { SnsStore }, { S3Store }] = (await Promise.all([
    load("sqs/sqsStore.js"),
    load("sns/snsStore.js"),
    load("s3/s3Store.js"),
  ])) as [
    { SqsStore: new () => FauxqsStores["sqsStore"] },
    { SnsStore: new () => FauxqsStores["snsStore"] },
    { S3Store: new () => FauxqsStores["s3Store"] },
  ];
  const sqsStore = new SqsStore();
  sqsStore.host = "";
  return { sqsStore, snsStore: new SnsStore(), s3Store: new S3Store() };
}

function fauxqsDistFolder(): string {
  const searched = createRequire(import.meta.url).resolve.paths("fauxqs") ?? [];
  const dist = searched.map((modules) => join(modules, "fauxqs", "dist")).find((candidate) => existsSync(join(candidate, "app.js")));
  if (!dist) throw new FauxqsNotFoundError(`fauxqs is not installed (looked in ${searched.join(", ")})`);
  return dist;
}
