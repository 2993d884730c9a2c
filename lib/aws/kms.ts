import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import type { DataKeySource } from "#lib/connectors/exactonline/token-cipher";

/*
 * The stage's KMS key as a source of data keys for the token cipher. One client per process,
 * created on first use; the key id comes from the TOKEN_KMS_KEY_ID setting. The encryption
 * context binds each data key to what it protects: KMS refuses to open it for anything else, and
 * CloudTrail shows what each use was for.
 */
let client: KMSClient | undefined;

const kmsClient = () => (client ??= new KMSClient({ maxAttempts: 3 }));

export function kmsDataKeySource(keyId: string): DataKeySource {
  return {
    kind: "kms",
    async generate(context) {
      const { Plaintext, CiphertextBlob } = await kmsClient().send(
        new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256", EncryptionContext: context }),
      );
      if (!Plaintext || !CiphertextBlob) throw new Error("KMS GenerateDataKey answered without a key");
      return { plaintext: Buffer.from(Plaintext), stored: Buffer.from(CiphertextBlob) };
    },
    async open(stored, context) {
      const { Plaintext } = await kmsClient().send(
        new DecryptCommand({ KeyId: keyId, CiphertextBlob: stored, EncryptionContext: context }),
      );
      if (!Plaintext) throw new Error("KMS Decrypt answered without a key");
      return Buffer.from(Plaintext);
    },
  };
}
