import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UnexpectedResponseError } from "#lib/connectors/errors";
import { followPages, fromODataDate, guidLiteral, queryString, stringLiteral, toODataDate } from "#lib/connectors/exactonline/odata";

describe("OData dates", () => {
  it("reads /Date(ms)/ as ISO 8601 UTC", () => {
    expect(fromODataDate("/Date(1641034800000)/")).toBe("2022-01-01T11:00:00.000Z");
    // Before 1970 (birth dates) and with the offset suffix some OData writers add: the ms are UTC.
    expect(fromODataDate("/Date(-86400000)/")).toBe("1969-12-31T00:00:00.000Z");
    expect(fromODataDate("/Date(1641034800000+0100)/")).toBe("2022-01-01T11:00:00.000Z");
  });

  it("writes ISO 8601 as /Date(ms)/", () => {
    expect(toODataDate("2022-01-01T11:00:00.000Z")).toBe("/Date(1641034800000)/");
    expect(toODataDate("2022-01-01T12:00:00+01:00")).toBe("/Date(1641034800000)/");
  });

  it("round-trips any instant both ways", () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 }), (ms) => {
        const odata = `/Date(${ms})/`;
        expect(toODataDate(fromODataDate(odata))).toBe(odata);
      }),
    );
  });

  it("refuses what is not a date", () => {
    expect(() => fromODataDate("2022-01-01")).toThrow(RangeError);
    expect(() => toODataDate("yesterday")).toThrow(RangeError);
  });
});

describe("filter literals", () => {
  it("quotes strings and doubles single quotes", () => {
    expect(stringLiteral("O'Brien")).toBe("'O''Brien'");
    expect(stringLiteral("''")).toBe("''''''");
  });

  it("writes Guids as guid'…' and refuses anything else without echoing it", () => {
    expect(guidLiteral("5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90")).toBe("guid'5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90'");
    expect(() => guidLiteral("kari@example.com")).toThrow(/not a Guid/);
    expect(() => guidLiteral("kari@example.com")).not.toThrow(/kari/);
    expect(() => guidLiteral("5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90') or (1 eq 1")).toThrow(/not a Guid/);
  });
});

describe("queryString", () => {
  it("percent-encodes values (spaces as %20, quotes and & safe) and keeps the $ names", () => {
    const query = queryString({ select: ["ID", "Email"], filter: "Email eq 'a&b c+d@example.com'" });
    expect(query).toBe("?$select=ID%2CEmail&$filter=Email%20eq%20'a%26b%20c%2Bd%40example.com'");
    const parsed = new URL(`https://x.test/${query}`).searchParams;
    expect(parsed.get("$filter")).toBe("Email eq 'a&b c+d@example.com'");
    expect(parsed.get("$select")).toBe("ID,Email");
  });

  it("is empty without options", () => {
    expect(queryString({})).toBe("");
  });
});

describe("followPages", () => {
  it("follows __next over more than 60 rows until it is absent, assuming no page size", async () => {
    const rows = Array.from({ length: 137 }, (_, index) => index);
    const sizes = [60, 60, 17];
    const requested: string[] = [];
    const fetchPage = async (url: string) => {
      requested.push(url);
      const page = requested.length - 1;
      const start = sizes.slice(0, page).reduce((sum, size) => sum + size, 0);
      const results = rows.slice(start, start + (sizes[page] ?? 0));
      return { results, next: page < sizes.length - 1 ? `https://x.test/page?skiptoken=${page + 1}` : undefined };
    };
    const seen: number[] = [];
    for await (const page of followPages("https://x.test/page", fetchPage)) seen.push(...page);
    expect(seen).toEqual(rows);
    expect(requested).toEqual(["https://x.test/page", "https://x.test/page?skiptoken=1", "https://x.test/page?skiptoken=2"]);
  });

  it("stops with an error when __next points at the page just read", async () => {
    const pages = followPages("https://x.test/p", async () => ({ results: [1], next: "https://x.test/p" }));
    await expect(async () => {
      for await (const _page of pages) {
        // drain
      }
    }).rejects.toThrow(UnexpectedResponseError);
  });
});
