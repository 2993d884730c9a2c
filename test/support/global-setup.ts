/**
 * vitest globalSetup: one DynamoDB Local and one SQS emulator for the whole run, on free ports.
 * Test files reach them through `useTestAws()` (test/support/aws.ts) and create their own
 * uniquely named table and queues, so files can run in parallel.
 */
import type { TestProject } from "vitest/node";
import { startInfrastructure } from "#lib/local/infrastructure";

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sqsEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const infrastructure = await startInfrastructure({ dynamoPort: 0, sqsPort: 0, host: "127.0.0.1" });
  project.provide("dynamoEndpoint", infrastructure.dynamoEndpoint);
  project.provide("sqsEndpoint", infrastructure.sqsEndpoint);
  return () => infrastructure.stop();
}
