/**
 * The sandboxes' fixed development credentials: printed on start, listed in `.env.example`.
 * They open nothing but the local sandboxes.
 */
export const EXACT_SANDBOX = {
  division: 3183061,
  clientId: "9f4e3a12-6d0b-4c3e-9a57-0e5d2c1b7a01",
  clientSecret: "exact-sandbox-client-secret",
  webhookSecret: "exact-sandbox-webhook-secret",
  redirectUri: "http://127.0.0.1:3000/oauth/exactonline/callback",
  /** The Account that always exists: the default home of contacts born in CRMOffice. */
  defaultAccountId: "5b1a7c2e-0d3f-4e8a-9c61-2f7b8d4e1a90",
} as const;

export const CRMOFFICE_SANDBOX = {
  clientId: "crmoffice-sandbox-client",
  clientSecret: "crmoffice-sandbox-client-secret",
  webhookSecret: "crmoffice-sandbox-webhook-secret",
} as const;
