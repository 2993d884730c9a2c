import { describe, expect, it } from "vitest";
import { verifyCrmOfficeNotification } from "#lib/webhooks/crmoffice";
import { WebhookPayloadError, WebhookSignatureError } from "#lib/webhooks/errors";
import { verifyExactNotification } from "#lib/webhooks/exactonline";

/*
 * Vectors computed outside this code base, with
 *   printf '%s' "$CONTENT" | openssl dgst -sha256 -hmac "$SECRET"
 * so a mistake shared by the sandbox and the verifier cannot hide here.
 */
const EXACT_SECRET = "test-webhook-secret";
// The raw Content text exactly as Exact would send it, escapes and all.
const EXACT_CONTENT =
  '{"Topic":"Contacts","ClientId":"9f4e3a12-6d0b-4c3e-9a57-0e5d2c1b7a01","Division":3183061,"Action":"Update","Key":"0b6f1c2a-3d4e-4f50-8a61-7b8c9d0e1f23","ExactOnlineEndpoint":"https://start.exactonline.nl/api/v1/3183061/crm/Contacts(guid\\u00270b6f1c2a-3d4e-4f50-8a61-7b8c9d0e1f23\\u0027)","EventCreatedOn":"2026-11-25T10:00:00.000Z"}';
const EXACT_HASH = "6FB0EE7D368B12A15E0531961533986F71400D93BBF181B5903FDF1814906AF1";
const exactBody = (content = EXACT_CONTENT, hash = EXACT_HASH) => `{"Content":${content},"HashCode":"${hash}"}`;

const CRM_SECRET = "crm-test-secret";
const CRM_T = 1764064800; // 2025-11-25T10:00:00Z
const CRM_BODY = '{"id":"evt_42","type":"contact.updated","occurredAt":"2026-11-25T10:00:00.000Z","data":{"id":"c-17"}}';
const CRM_V1 = "998afcdf9c41c66080228f28d967503d7df4c8ca3bf16045aa614f17a6bd1674";
const atCrmT = CRM_T * 1000;

describe("Exact Online HashCode", () => {
  it("accepts the independently computed signature over the raw Content text", () => {
    const content = verifyExactNotification(exactBody(), [EXACT_SECRET]);
    expect(content).toMatchObject({ Topic: "Contacts", Action: "Update", Key: "0b6f1c2a-3d4e-4f50-8a61-7b8c9d0e1f23", Division: 3183061 });
  });

  it("accepts the hash in lower case too, and whitespace around the envelope", () => {
    expect(() =>
      verifyExactNotification(` { "Content" : ${EXACT_CONTENT} , "HashCode" : "${EXACT_HASH.toLowerCase()}" } `, [EXACT_SECRET]),
    ).not.toThrow();
  });

  it("refuses a re-serialised Content: the signature is over the bytes as sent", () => {
    const reserialised = JSON.stringify(JSON.parse(EXACT_CONTENT));
    expect(reserialised).not.toBe(EXACT_CONTENT);
    expect(() => verifyExactNotification(exactBody(reserialised), [EXACT_SECRET])).toThrow(WebhookSignatureError);
  });

  it("refuses a wrong secret, a changed body, a missing or malformed HashCode", () => {
    expect(() => verifyExactNotification(exactBody(), ["other-secret"])).toThrow(WebhookSignatureError);
    expect(() => verifyExactNotification(exactBody(EXACT_CONTENT.replace("Update", "Delete")), [EXACT_SECRET])).toThrow(
      WebhookSignatureError,
    );
    expect(() => verifyExactNotification(`{"Content":${EXACT_CONTENT}}`, [EXACT_SECRET])).toThrow(WebhookSignatureError);
    expect(() => verifyExactNotification(exactBody(EXACT_CONTENT, "XYZ"), [EXACT_SECRET])).toThrow(WebhookSignatureError);
  });

  it("accepts the previous secret beside the current one while the secret is rotated, and only those", () => {
    expect(() => verifyExactNotification(exactBody(), ["the-new-secret", EXACT_SECRET])).not.toThrow();
    expect(() => verifyExactNotification(exactBody(), ["the-new-secret", "an-older-secret"])).toThrow(WebhookSignatureError);
  });

  it("checks the shape only after the signature: a signed but invalid Content is a payload error", async () => {
    const { createHmac } = await import("node:crypto");
    const content = '{"Topic":"Accounts","Key":"nope"}';
    const hash = createHmac("sha256", EXACT_SECRET).update(content).digest("hex").toUpperCase();
    expect(() => verifyExactNotification(exactBody(content, hash), [EXACT_SECRET])).toThrow(WebhookPayloadError);
  });
});

describe("CRMOffice-Signature", () => {
  const header = (t = CRM_T, v1 = CRM_V1) => `t=${t},v1=${v1}`;

  it("accepts the independently computed signature within the window", () => {
    const notification = verifyCrmOfficeNotification(CRM_BODY, header(), [CRM_SECRET], atCrmT + 299_000);
    expect(notification).toMatchObject({ type: "contact.updated", data: { id: "c-17" } });
  });

  it("accepts a header carrying an old and a new signature while a secret rotates", () => {
    const twoSignatures = `t=${CRM_T},v1=${"0".repeat(64)},v1=${CRM_V1}`;
    expect(() => verifyCrmOfficeNotification(CRM_BODY, twoSignatures, [CRM_SECRET], atCrmT)).not.toThrow();
  });

  it("accepts a delivery signed with the previous secret while the secret is rotated", () => {
    expect(() => verifyCrmOfficeNotification(CRM_BODY, header(), ["the-new-secret", CRM_SECRET], atCrmT)).not.toThrow();
    expect(() => verifyCrmOfficeNotification(CRM_BODY, header(), ["the-new-secret"], atCrmT)).toThrow(WebhookSignatureError);
  });

  it("refuses deliveries outside the 5-minute window, either way", () => {
    expect(() => verifyCrmOfficeNotification(CRM_BODY, header(), [CRM_SECRET], atCrmT + 301_000)).toThrow(/window/);
    expect(() => verifyCrmOfficeNotification(CRM_BODY, header(), [CRM_SECRET], atCrmT - 301_000)).toThrow(/window/);
  });

  it("refuses a missing or malformed header, a wrong secret, a changed body or timestamp", () => {
    expect(() => verifyCrmOfficeNotification(CRM_BODY, undefined, [CRM_SECRET], atCrmT)).toThrow(WebhookSignatureError);
    expect(() => verifyCrmOfficeNotification(CRM_BODY, "v1=abc", [CRM_SECRET], atCrmT)).toThrow(WebhookSignatureError);
    expect(() => verifyCrmOfficeNotification(CRM_BODY, header(), ["wrong"], atCrmT)).toThrow(WebhookSignatureError);
    expect(() => verifyCrmOfficeNotification(CRM_BODY.replace("c-17", "c-18"), header(), [CRM_SECRET], atCrmT)).toThrow(
      WebhookSignatureError,
    );
    expect(() => verifyCrmOfficeNotification(CRM_BODY, header(CRM_T + 1), [CRM_SECRET], atCrmT)).toThrow(WebhookSignatureError);
  });
});
