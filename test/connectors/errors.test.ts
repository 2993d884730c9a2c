import { describe, expect, it } from "vitest";
import {
  ClientRequestError,
  RateLimitedError,
  RecordNotFoundError,
  TransientError,
  classifyHttpFailure,
  redactPersonalData,
} from "#lib/connectors/errors";

const NOW = Date.UTC(2024, 2, 4, 9, 0, 0);
const failure = (status: number, headers: Record<string, string> = {}) =>
  classifyHttpFailure(
    "crmoffice",
    { status, headers: new Headers(headers) },
    { operation: "GET /contacts", errorText: undefined, now: NOW },
  );

describe("classifyHttpFailure", () => {
  it("classifies by status", () => {
    expect(failure(500)).toBeInstanceOf(TransientError);
    expect(failure(503)).toBeInstanceOf(TransientError);
    expect(failure(408)).toBeInstanceOf(TransientError);
    expect(failure(404)).toBeInstanceOf(RecordNotFoundError);
    for (const status of [400, 403, 409, 422]) expect(failure(status)).toBeInstanceOf(ClientRequestError);
    expect(failure(422)).toMatchObject({ system: "crmoffice", status: 422, message: "crmoffice GET /contacts answered 422" });
  });

  it("reads a 429's wait from Retry-After in seconds or as a date, else waits a minute", () => {
    expect((failure(429, { "Retry-After": "2" }) as RateLimitedError).retryAfterMs).toBe(2000);
    const inNinetySeconds = new Date(NOW + 90_000).toUTCString();
    expect((failure(429, { "Retry-After": inNinetySeconds }) as RateLimitedError).retryAfterMs).toBe(90_000);
    expect((failure(429) as RateLimitedError).retryAfterMs).toBe(60_000);
  });

  it("prefers the wait the connector read from the system's own headers", () => {
    const error = classifyHttpFailure(
      "exactonline",
      { status: 429, headers: new Headers({ "Retry-After": "2" }) },
      { operation: "GET /x", errorText: undefined, retryAfterMs: 12_345 },
    );
    expect((error as RateLimitedError).retryAfterMs).toBe(12_345);
  });
});

describe("redactPersonalData", () => {
  it("masks emails and phone numbers, keeps the rest", () => {
    expect(redactPersonalData("Email 'kari.nordmann+x@example.com' is taken")).toBe("Email '<email>' is taken");
    expect(redactPersonalData("Phone +47 912 34 567 invalid; Mobile (020) 123-4567")).toBe("Phone <number> invalid; Mobile (<number>");
    expect(redactPersonalData("Description is longer than 60 characters")).toBe("Description is longer than 60 characters");
  });

  it("caps the length", () => {
    expect(redactPersonalData("x".repeat(1000))).toHaveLength(300);
  });
});
