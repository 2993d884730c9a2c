import { Logger } from "@aws-lambda-powertools/logger";

/*
 * One logger per process (Powertools' recommended use); service name and log level come from
 * POWERTOOLS_SERVICE_NAME / POWERTOOLS_LOG_LEVEL. A module of its own, so that a function that
 * writes no metrics (the OAuth functions, replay) bundles the logger without Powertools Metrics.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "exact-crmoffice-sync" });
