import { describe, expect, it } from "vitest";
import {
  AuthorizationError,
  ClientRequestError,
  RateLimitedError,
  RecordNotFoundError,
  TransientError,
  UnexpectedResponseError,
} from "#lib/connectors/errors";
import { LinkConflictError } from "#lib/links/store";
import { RETRY_LATER_DELAY_SECONDS, verdictOf } from "#lib/sync/error-policy";
import { RetryLaterError, UnsyncableError } from "#lib/sync/errors";

describe("what becomes of a change whose handling failed", () => {
  it("records as unsyncable what cannot sync as it stands, with the reason", () => {
    expect(verdictOf(new UnsyncableError("ambiguous: 2 Contacts match"))).toEqual({
      kind: "unsyncable",
      reason: "ambiguous: 2 Contacts match",
    });
    expect(verdictOf(new ClientRequestError("exactonline", 500, "exactonline POST /x answered 500: Gegeven bestaat reeds"))).toEqual({
      kind: "unsyncable",
      reason: "exactonline refused the request: exactonline POST /x answered 500: Gegeven bestaat reeds",
    });
    expect(
      verdictOf(new UnexpectedResponseError("crmoffice", 200, "crmoffice GET /contacts/1 answered an unexpected shape")),
    ).toMatchObject({
      kind: "unsyncable",
      reason: expect.stringMatching(/^crmoffice sent a record that breaks its schema/),
    });
  });

  it("decides a lost race again", () => {
    expect(verdictOf(new LinkConflictError("save agreed values: lost a race"))).toEqual({ kind: "redecide" });
    expect(verdictOf(new RecordNotFoundError("crmoffice", 404, "gone"))).toEqual({ kind: "redecide" });
  });

  it("postpones what only needs waiting, for as long as it says", () => {
    expect(verdictOf(new RateLimitedError("exactonline", 30_000, "minute spent"))).toEqual({ kind: "postpone", waitSeconds: 30 });
    expect(verdictOf(new RetryLaterError("another worker is creating the partner"))).toEqual({
      kind: "postpone",
      waitSeconds: RETRY_LATER_DELAY_SECONDS,
    });
  });

  it("leaves everything else to the queue's retries and, in the end, the dead-letter queue", () => {
    expect(verdictOf(new TransientError("exactonline", 503, "outage"))).toEqual({ kind: "retry" });
    expect(verdictOf(new AuthorizationError("exactonline", 401, "re-authorise"))).toEqual({ kind: "retry" });
    expect(verdictOf(new Error("a bug"))).toEqual({ kind: "retry" });
  });
});
