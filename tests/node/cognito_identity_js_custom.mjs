// CUSTOM_AUTH with the unmodified amazon-cognito-identity-js against a running poolgate whose
// pool has Define/Create/Verify auth challenge functions (tests/e2e/testdata/triggers): the
// user signs in with authenticationFlowType CUSTOM_AUTH; customChallenge gets the public
// challenge parameters; sendCustomChallengeAnswer with a wrong answer gets another
// customChallenge, with the right one the session. Then CUSTOM_AUTH with SRP first
// (authenticateUser with flow CUSTOM_AUTH: SRP_A, PASSWORD_VERIFIER, then customChallenge).
// Prints one JSON object; exits non-zero on any failure.
//
// Environment: POOLGATE_ENDPOINT, POOL_ID, CLIENT_ID, USERNAME, PASSWORD, ANSWER. Run by
// tests/e2e/node_custom_auth_test.go.
import identity from "amazon-cognito-identity-js";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = identity;

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

const endpoint = env("POOLGATE_ENDPOINT").replace(/\/+$/, "") + "/";
const pool = new CognitoUserPool({ UserPoolId: env("POOL_ID"), ClientId: env("CLIENT_ID"), endpoint });
const username = env("USERNAME");

const result = { challenges: [] };
try {
  const user = new CognitoUser({ Username: username, Pool: pool });
  user.setAuthenticationFlowType("CUSTOM_AUTH");
  const session = await new Promise((resolve, reject) => {
    let answers = ["wrong", env("ANSWER")];
    const callbacks = {
      onSuccess: resolve,
      onFailure: reject,
      customChallenge(params) {
        result.challenges.push(params);
        user.sendCustomChallengeAnswer(answers.shift(), callbacks);
      },
    };
    user.initiateAuth(new AuthenticationDetails({ Username: username }), callbacks);
  });
  const id = session.getIdToken().decodePayload();
  result.username = id["cognito:username"];
  result.tokenUse = id.token_use;
  result.valid = session.isValid();

  const srpUser = new CognitoUser({ Username: username, Pool: pool });
  srpUser.setAuthenticationFlowType("CUSTOM_AUTH");
  const srpSession = await new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: resolve,
      onFailure: reject,
      customChallenge(params) {
        result.srpChallenge = params;
        srpUser.sendCustomChallengeAnswer(env("ANSWER"), callbacks);
      },
    };
    srpUser.authenticateUser(new AuthenticationDetails({ Username: username, Password: env("PASSWORD") }), callbacks);
  });
  result.srpValid = srpSession.isValid();
  console.log(JSON.stringify(result));
} catch (e) {
  result.error = `${e.code ?? e.name}: ${e.message}`;
  console.log(JSON.stringify(result));
  process.exit(1);
}
