// The page of TestAmplifyMFA: Amplify v6, unmodified, signing in against poolgate's JSON API
// (Auth.Cognito.userPoolEndpoint) and using its MFA APIs. esbuild bundles this file for the
// browser. Every call resolves with plain JSON (errors as {error, message}) for the test.
import { Amplify } from "aws-amplify";
import {
  confirmSignIn, fetchAuthSession, fetchMFAPreference, setUpTOTP, signIn, signOut,
  updateMFAPreference, verifyTOTPSetup,
} from "aws-amplify/auth";

Amplify.configure(window.AMPLIFY_CONFIG);

let lastUsername = null; // the account name the setup URI shows

const settle = (p) => p.then((out) => out ?? {}, (e) => ({ error: e.name, message: e.message }));

// step keeps what the test checks of a sign-in result (totpSetupDetails has a function).
const step = (out) => out.error ? out : {
  isSignedIn: out.isSignedIn,
  signInStep: out.nextStep?.signInStep,
  allowedMFATypes: out.nextStep?.allowedMFATypes ?? null,
  codeDeliveryDetails: out.nextStep?.codeDeliveryDetails ?? null,
  sharedSecret: out.nextStep?.totpSetupDetails?.sharedSecret ?? null,
  setupUri: out.nextStep?.totpSetupDetails?.getSetupUri("Acme staff", lastUsername).href ?? null,
};

window.amplifyMfa = {
  signIn: (username, password) => {
    lastUsername = username;
    return settle(signIn({ username, password })).then(step);
  },
  confirmSignIn: (challengeResponse) => settle(confirmSignIn({ challengeResponse })).then(step),
  async setUpTOTP(accountName) {
    const out = await settle(setUpTOTP());
    if (out.error) return out;
    return { sharedSecret: out.sharedSecret, setupUri: out.getSetupUri("Acme staff", accountName).href };
  },
  verifyTOTPSetup: (code) => settle(verifyTOTPSetup({ code, options: { friendlyDeviceName: "Amplify phone" } })),
  updateMFAPreference: (pref) => settle(updateMFAPreference(pref)),
  fetchMFAPreference: () => settle(fetchMFAPreference()).then((p) => p.error ? p : { enabled: p.enabled ?? [], preferred: p.preferred ?? null }),
  signOut: () => settle(signOut()),
  async email() {
    const s = await fetchAuthSession();
    return s.tokens?.idToken?.payload.email ?? null;
  },
};
document.body.dataset.ready = "true";
