import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";

/*
 * One logger and one metrics object per process (Powertools' recommended use). Service name
 * and log level come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_LOG_LEVEL; metrics are written
 * as CloudWatch EMF to stdout, which Lambda ships without API calls.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "exact-crmoffice-sync" });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "ExactCrmOfficeSync",
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "exact-crmoffice-sync",
});
