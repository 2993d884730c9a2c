/**
 * A `fetch` that answers from a function instead of the network and records every call, so
 * client behaviour can be checked against recorded wire responses.
 */
export interface RecordedCall {
  method: string;
  url: URL;
  headers: Headers;
  body: string | undefined;
}

export type Responder = (call: RecordedCall, signal: AbortSignal | undefined) => Response | Promise<Response>;

export interface ReplayFetch {
  fetch: typeof fetch;
  calls: RecordedCall[];
}

export function replayFetch(respond: Responder): ReplayFetch {
  const calls: RecordedCall[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const call: RecordedCall = {
      method: init?.method ?? "GET",
      url: new URL(input instanceof Request ? input.url : input),
      headers: new Headers(init?.headers),
      body: init?.body === undefined || init.body === null ? undefined : String(init.body),
    };
    calls.push(call);
    return respond(call, init?.signal ?? undefined);
  };
  return { fetch: fake as typeof fetch, calls };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers });
}
