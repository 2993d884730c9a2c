/**
 * Exact's access and refresh tokens are encrypted before they are written to the table, so a
 * reader of the table (a backup, a support query, a leaked export) sees ciphertext, not a key to
 * the customer's books.
 *
 * Envelope encryption: each token is sealed with AES-256-GCM under a data key, bound to its
 * purpose and division (additional authenticated data), and the data key travels beside it,
 * itself encrypted. In AWS the data key comes from the stage's KMS key (GenerateDataKey, then
 * Decrypt on read, each cached for the container's life); where no KMS runs (the local stack),
 * the same code seals with a local key, and only the source of the data key differs.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** Where data keys come from: KMS in AWS, a local key on one machine. */
export interface DataKeySource {
  /** Names the source in the sealed text, so a value is never opened with the wrong one. */
  readonly kind: "kms" | "local";
  /** A fresh data key: its plaintext (32 bytes) and how to store it (opaque). */
  generate(context: Record<string, string>): Promise<{ plaintext: Buffer; stored: Buffer }>;
  /** The plaintext of a stored data key. */
  open(stored: Buffer, context: Record<string, string>): Promise<Buffer>;
}

export interface TokenCipher {
  seal(plaintext: string): Promise<string>;
  open(sealed: string): Promise<string>;
}

/** Sealed values look like `v1.<kind>.<stored data key>.<iv>.<ciphertext and tag>`, base64url parts. */
const FORMAT = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class TokenDecryptionError extends Error {
  override name = "TokenDecryptionError";
}

export function createTokenCipher(source: DataKeySource, context: Record<string, string>): TokenCipher {
  const aad = Buffer.from(JSON.stringify(Object.entries(context).sort()));
  let current: Promise<{ plaintext: Buffer; stored: Buffer }> | undefined;
  const opened = new Map<string, Promise<Buffer>>();

  const dataKey = () => {
    current ??= source.generate(context).catch((error: unknown) => {
      current = undefined;
      throw error;
    });
    return current;
  };

  const openKey = (stored: string) => {
    let key = opened.get(stored);
    if (!key) {
      key = source.open(Buffer.from(stored, "base64url"), context).catch((error: unknown) => {
        opened.delete(stored);
        throw error;
      });
      opened.set(stored, key);
    }
    return key;
  };

  return {
    async seal(plaintext) {
      const { plaintext: key, stored } = await dataKey();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(aad);
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return [FORMAT, source.kind, stored.toString("base64url"), iv.toString("base64url"), body.toString("base64url")].join(".");
    },

    async open(sealed) {
      const [format, kind, stored, iv, body] = sealed.split(".");
      if (format !== FORMAT || kind !== source.kind || !stored || !iv || !body) {
        throw new TokenDecryptionError(`a stored token is not sealed the way this deployment seals them (${kind ?? "?"} key)`);
      }
      const key = await openKey(stored);
      const bytes = Buffer.from(body, "base64url");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url")).setAAD(aad);
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString("utf8");
      } catch (error) {
        throw new TokenDecryptionError("a stored token does not open with this deployment's key (or was altered)", { cause: error });
      }
    },
  };
}

/**
 * The local stand-in for KMS: data keys wrapped with AES-256-GCM under one local key, so the
 * stored item holds ciphertext locally too.
 */
export function localDataKeySource(localKeyBase64: string): DataKeySource {
  const masterKey = Buffer.from(localKeyBase64, "base64");
  if (masterKey.length !== 32) throw new RangeError("the local token key must be 32 bytes, base64");
  return {
    kind: "local",
    async generate() {
      const plaintext = randomBytes(32);
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", masterKey, iv);
      const wrapped = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return { plaintext, stored: Buffer.concat([iv, wrapped]) };
    },
    async open(stored) {
      const iv = stored.subarray(0, IV_BYTES);
      const wrapped = stored.subarray(IV_BYTES);
      const decipher = createDecipheriv("aes-256-gcm", masterKey, iv);
      decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
      return Buffer.concat([decipher.update(wrapped.subarray(0, wrapped.length - TAG_BYTES)), decipher.final()]);
    },
  };
}
