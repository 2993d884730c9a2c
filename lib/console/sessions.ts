/**
 * The console's sessions: a random id in an HttpOnly, SameSite=Strict cookie, and per session a
 * random CSRF token that every form carries. A POST is carried out only with the session's
 * cookie and its token; another site's page can send neither (it cannot read the token, and the
 * browser withholds a strict cookie from cross-site requests).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface Session {
  id: string;
  csrfToken: string;
  /** One message for the next page, after an action redirects there. */
  flash?: { text: string; failed: boolean };
  lastSeen: number;
}

const COOKIE = "syncctl_console";
/** Sessions unused this long are forgotten; the page then starts a new one. */
const IDLE_MS = 12 * 3_600_000;

const token = () => randomBytes(32).toString("base64url");

export class Sessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The request's session, if its cookie names a live one. */
  find(req: IncomingMessage): Session | undefined {
    const id = cookieValue(req.headers.cookie, COOKIE);
    const session = id === undefined ? undefined : this.sessions.get(id);
    if (!session) return undefined;
    if (this.now() - session.lastSeen > IDLE_MS) {
      this.sessions.delete(session.id);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  /** The request's session, or a new one whose cookie is set on `res`. */
  findOrStart(req: IncomingMessage, res: ServerResponse): Session {
    const found = this.find(req);
    if (found) return found;
    for (const [id, session] of this.sessions) if (this.now() - session.lastSeen > IDLE_MS) this.sessions.delete(id);
    const session: Session = { id: token(), csrfToken: token(), lastSeen: this.now() };
    this.sessions.set(session.id, session);
    res.setHeader("Set-Cookie", `${COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Strict`);
    return session;
  }
}

/** True when `given` is the session's CSRF token (compared in constant time). */
export function validCsrfToken(session: Session | undefined, given: string | null | undefined): boolean {
  if (!session || !given) return false;
  const expected = Buffer.from(session.csrfToken);
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}
