// The page of TestAmplifyCustomAuth: Amplify v6, unmodified, signs in with CUSTOM_WITHOUT_SRP
// and CUSTOM_WITH_SRP against poolgate's JSON API (userPoolEndpoint). esbuild bundles this
// file for the browser.
import { Amplify } from "aws-amplify";
import { confirmSignIn, fetchAuthSession, signIn, signOut } from "aws-amplify/auth";

Amplify.configure(window.AMPLIFY_CONFIG);

// run signs username in with authFlowType, answers the custom challenge (a wrong answer first)
// and reports each step.
async function run(authFlowType, username, password, answer) {
  const steps = [];
  try {
    let out = await signIn({ username, password: authFlowType === "CUSTOM_WITH_SRP" ? password : undefined, options: { authFlowType } });
    steps.push({ step: out.nextStep.signInStep, info: out.nextStep.additionalInfo ?? null });
    out = await confirmSignIn({ challengeResponse: "wrong" });
    steps.push({ step: out.nextStep.signInStep, info: out.nextStep.additionalInfo ?? null });
    out = await confirmSignIn({ challengeResponse: answer });
    steps.push({ step: out.nextStep.signInStep, signedIn: out.isSignedIn });
    const s = await fetchAuthSession();
    steps.push({ username: s.tokens?.accessToken.payload.username ?? null });
    await signOut();
  } catch (e) {
    steps.push({ error: e.name + ": " + e.message });
  }
  return steps;
}

window.amplifyTest = { run };
document.body.dataset.ready = "true";
