/**
 * Query strings and forms where each parameter may appear once: a repeated one is ambiguous
 * (which value wins differs between servers), so both the API and the token endpoint refuse it.
 */
export function singleValuedParams(params: URLSearchParams): { values: Record<string, string>; repeated?: string } {
  const values: Record<string, string> = {};
  for (const [key, value] of params) {
    if (Object.hasOwn(values, key)) return { values, repeated: key };
    values[key] = value;
  }
  return { values };
}
