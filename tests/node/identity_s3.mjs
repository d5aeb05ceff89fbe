// Identity pools through the unmodified AWS SDK for JavaScript v3: the
// @aws-sdk/credential-providers fromCognitoIdentityPool provider (custom endpoint) vends
// credentials from poolgate, and @aws-sdk/client-s3 signs S3 calls with them against
// poolgate's sigv4 gateway route. Run by tests/e2e/identity_node_test.go, which starts the
// server and passes:
//   POOLGATE_ENDPOINT  the server's base URL (the route is <endpoint>/s3)
//   REGION, IDENTITY_POOL_ID, LOGIN_KEY (a user-pool Logins key), ID_TOKEN, BUCKET
// It prints one JSON object with what it observed; the Go test judges it.
import { fromCognitoIdentityPool } from "@aws-sdk/credential-providers";
import { S3Client, GetObjectCommand, PutObjectCommand, DeleteObjectCommand } from "@aws-sdk/client-s3";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const endpoint = env("POOLGATE_ENDPOINT");
const region = env("REGION");
const identityPoolId = env("IDENTITY_POOL_ID");
const bucket = env("BUCKET");

function s3With(credentials) {
  return new S3Client({
    region,
    endpoint: endpoint + "/s3",
    forcePathStyle: true,
    credentials,
    maxAttempts: 1,
    // Plain signed payloads (no aws-chunked trailers): poolgate's gateway verifies the body hash.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

async function outcome(promise) {
  try {
    const out = await promise;
    const body = out.Body ? await out.Body.transformToString() : undefined;
    return { ok: true, status: out.$metadata.httpStatusCode, body };
  } catch (e) {
    return { ok: false, name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
}

async function main() {
  const result = {};

  // Guest: no logins.
  const guestProvider = fromCognitoIdentityPool({
    identityPoolId,
    clientConfig: { region, endpoint },
  });
  const guest = await guestProvider();
  result.guest = {
    identityId: guest.identityId,
    accessKeyId: guest.accessKeyId,
    hasSecret: !!guest.secretAccessKey,
    hasToken: !!guest.sessionToken,
    expiration: guest.expiration?.toISOString(),
  };
  const gs3 = s3With(guestProvider);
  result.guest.readPublic = await outcome(gs3.send(new GetObjectCommand({ Bucket: bucket, Key: "public/readme.txt" })));
  result.guest.writePublic = await outcome(gs3.send(new PutObjectCommand({ Bucket: bucket, Key: "public/readme.txt", Body: "x" })));

  // Authenticated: a user-pool ID token in logins.
  const userProvider = fromCognitoIdentityPool({
    identityPoolId,
    logins: { [env("LOGIN_KEY")]: env("ID_TOKEN") },
    clientConfig: { region, endpoint },
  });
  const user = await userProvider();
  result.user = { identityId: user.identityId, accessKeyId: user.accessKeyId };
  const us3 = s3With(userProvider);
  const own = `${user.identityId}/from-node.txt`;
  result.user.put = await outcome(us3.send(new PutObjectCommand({ Bucket: bucket, Key: own, Body: "hello from node" })));
  result.user.get = await outcome(us3.send(new GetObjectCommand({ Bucket: bucket, Key: own })));
  result.user.delete = await outcome(us3.send(new DeleteObjectCommand({ Bucket: bucket, Key: own })));
  result.user.otherPrefix = await outcome(us3.send(new GetObjectCommand({ Bucket: bucket, Key: `${guest.identityId}/x.txt` })));

  // Credentials of one identity with another's session token.
  const mixed = s3With({ accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey, sessionToken: guest.sessionToken });
  result.mixedToken = await outcome(mixed.send(new GetObjectCommand({ Bucket: bucket, Key: own })));

  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.log(JSON.stringify({ error: `${e.name}: ${e.message}` }));
  process.exitCode = 1;
});
