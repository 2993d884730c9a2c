import { expect, it } from "vitest";
import * as z from "#lib/util/zod-mini";

/*
 * Nothing else in this file loads zod's classic API (which installs English by itself), as in a
 * deployed function's bundle: the messages a refused webhook or setting is answered with must
 * still be zod's English ones, not its bare "Invalid input".
 */
it("gives zod's English messages", () => {
  const schema = z.object({ id: z.string().check(z.minLength(1)), at: z.string().check(z.iso.datetime({ offset: true })) });
  expect(schema.safeParse({ id: "", at: "yesterday" }).error?.issues.map((issue) => issue.message)).toEqual([
    "Too small: expected string to have >=1 characters",
    "Invalid ISO datetime",
  ]);
});
