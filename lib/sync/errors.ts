/** The record cannot sync as it stands: recorded with its reason, not retried, not dead-lettered. */
export class UnsyncableError extends Error {
  override name = "UnsyncableError";
}

/** Another worker holds the record right now (a create in progress): try again shortly. */
export class RetryLaterError extends Error {
  override name = "RetryLaterError";
}
