// The page of TestAmplifyRedirect: Amplify v6, unmodified, configured for a user pool whose
// managed login is poolgate's HTTPS endpoint. esbuild bundles this file for the browser.
import { Amplify } from "aws-amplify";
import { fetchAuthSession, getCurrentUser, signInWithRedirect, signOut } from "aws-amplify/auth";
import "aws-amplify/auth/enable-oauth-listener";
import { Hub } from "aws-amplify/utils";

const events = [];
Hub.listen("auth", ({ payload }) => events.push(payload.event + (payload.data?.message ? ": " + payload.data.message : "")));
Amplify.configure(window.AMPLIFY_CONFIG);

window.amplifyTest = {
  events,
  signIn: () => signInWithRedirect().catch((e) => events.push("signIn error: " + e.name + ": " + e.message)),
  signOut: () => signOut().catch((e) => events.push("signOut error: " + e.name + ": " + e.message)),
  async session() {
    const s = await fetchAuthSession();
    if (!s.tokens) return null;
    return {
      username: s.tokens.accessToken.payload.username,
      scope: s.tokens.accessToken.payload.scope,
      email: s.tokens.idToken?.payload.email ?? null,
      iss: s.tokens.idToken?.payload.iss ?? null,
    };
  },
  async user() {
    try {
      const u = await getCurrentUser();
      return { username: u.username, userId: u.userId };
    } catch (e) {
      return { error: e.name };
    }
  },
};
document.body.dataset.ready = "true";
