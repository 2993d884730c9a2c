/** The local stand-in for an AWS account: one account id, one region, dummy credentials (the emulators accept any). */
export const LOCAL_ACCOUNT_ID = "000000000000";
export const LOCAL_AWS_REGION = "eu-west-1";
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;
