/**
 * The one-time links that let an operator connect Exact (`syncctl connect exactonline`), and the
 * single-use OAuth `state` each link leads to. Connecting replaces the deployment's token pair,
 * so it must be an operator's act: the public start route does nothing without a ticket, a ticket
 * works once and expires, and the state it issues works once, for the browser that started it.
 *
 * The table holds only hashes of tickets and of the browsers' nonces, never a usable secret; both
 * kinds of item expire by TTL. Each is consumed with a conditional write, so two requests racing
 * with the same ticket or state cannot both pass.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { keys } from "#lib/store/keys";
import { TTL_ATTRIBUTE } from "#lib/store/table";
import { hexDigestsEqual } from "#lib/webhooks/hmac";

/** How long a link `syncctl connect exactonline` prints stays usable, unless told otherwise. */
export const DEFAULT_TICKET_MINUTES = 30;
/** How long a person has between starting Exact's consent and coming back from it. */
export const STATE_LIFETIME_MS = 10 * 60_000;

/** 32 random bytes, base64url: what tickets, state ids and nonces are made of. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const randomToken = () => randomBytes(32).toString("base64url");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export interface IssuedTicket {
  ticket: string;
  expiresAt: string;
}

export interface IssuedState {
  /** The `state` parameter for Exact: the state's id and its signature. */
  state: string;
  /** For the browser's cookie: binds the state to the browser that started the flow. */
  nonce: string;
}

export class ConnectTickets {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async issueTicket(minutes = DEFAULT_TICKET_MINUTES): Promise<IssuedTicket> {
    const ticket = randomToken();
    const expiresAtMs = this.now() + minutes * 60_000;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.ticket(sha256(ticket)), expiresAtMs, used: false, [TTL_ATTRIBUTE]: Math.ceil(expiresAtMs / 1000) },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    return { ticket, expiresAt: new Date(expiresAtMs).toISOString() };
  }

  /** Uses the ticket up; false when it is unknown, used or expired (TTL removal is late, so expiry is checked here). */
  async consumeTicket(ticket: string): Promise<boolean> {
    if (!TOKEN_PATTERN.test(ticket)) return false;
    return this.consume(keys.ticket(sha256(ticket)), {});
  }

  /** A state for the browser that followed a valid ticket, signed with the state key. */
  async issueState(stateKey: string): Promise<IssuedState> {
    const id = randomToken();
    const nonce = randomToken();
    const expiresAtMs = this.now() + STATE_LIFETIME_MS;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.oauthState(id),
          nonceHash: sha256(nonce),
          expiresAtMs,
          used: false,
          [TTL_ATTRIBUTE]: Math.ceil(expiresAtMs / 1000),
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    return { state: `${id}.${sign(stateKey, id)}`, nonce };
  }

  /**
   * Uses the state up, only for the browser whose nonce it was issued to; false for a state this
   * deployment did not sign, one used already, expired, or brought by another browser.
   */
  async consumeState(stateKey: string, state: string, nonce: string | undefined): Promise<boolean> {
    const [id = "", signature = ""] = state.split(".", 2);
    if (!TOKEN_PATTERN.test(id) || !nonce || !TOKEN_PATTERN.test(nonce)) return false;
    if (!hexDigestsEqual(sign(stateKey, id), signature)) return false;
    return this.consume(keys.oauthState(id), { condition: "nonceHash = :nonceHash", values: { ":nonceHash": sha256(nonce) } });
  }

  private async consume(
    key: { pk: string; sk: string },
    extra: { condition?: string; values?: Record<string, unknown> },
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: "SET used = :true, usedAt = :now",
          ConditionExpression: `attribute_exists(pk) AND used = :false AND expiresAtMs > :now${extra.condition ? ` AND ${extra.condition}` : ""}`,
          ExpressionAttributeValues: { ":true": true, ":false": false, ":now": this.now(), ...extra.values },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function sign(stateKey: string, id: string): string {
  return createHmac("sha256", stateKey).update(`exact-oauth-state:${id}`).digest("hex");
}

/** The link an operator opens: the deployment's start route with the ticket. */
export function connectLink(apiUrl: string, ticket: string): string {
  return `${apiUrl.replace(/\/+$/, "")}/oauth/exactonline/start?ticket=${encodeURIComponent(ticket)}`;
}
