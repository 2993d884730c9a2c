import { describe, expect, it } from "vitest";
import { UnexpectedResponseError } from "#lib/connectors/errors";
import { followPages, guidLiteral, keyFilter, MAX_KEYS_PER_FILTER, queryString, stringLiteral } from "#lib/connectors/exactonline/odata";

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

describe("reads by many keys", () => {
  it("joins keys as ID eq guid'…' terms, and a full chunk with the longest $select stays under Exact's URL limit", () => {
    const ids = Array.from({ length: MAX_KEYS_PER_FILTER }, (_, index) => `${String(index).padStart(8, "0")}-0000-4000-8000-000000000000`);
    const filter = keyFilter("ID", ids);
    expect(filter.split(" or ")).toHaveLength(MAX_KEYS_PER_FILTER);
    expect(filter.startsWith("ID eq guid'00000000-0000-4000-8000-000000000000' or ID eq guid'00000001-")).toBe(true);
    const select = [
      "ID",
      "Account",
      "AccountName",
      "FirstName",
      "LastName",
      "FullName",
      "Email",
      "Phone",
      "Mobile",
      "JobTitleDescription",
      "Modified",
    ];
    const url = `https://start.exactonline.co.uk/api/v1/1234567/crm/Contacts${queryString({ select, filter })}`;
    expect(url.length).toBeLessThan(6_000);
  });

  it("refuses a key that is not a Guid before any call", () => {
    expect(() => keyFilter("ID", ["../../etc"])).toThrow(/not a Guid/);
  });
});
