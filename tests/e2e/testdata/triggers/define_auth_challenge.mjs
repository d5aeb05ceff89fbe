// DefineAuthChallenge as in AWS's example: with SRP first, PASSWORD_VERIFIER after SRP_A;
// tokens after a right answer to the custom challenge, failure after three wrong ones, else
// another CUSTOM_CHALLENGE.
export const handler = async (event) => {
  (globalThis.events ??= []).push(structuredClone(event));
  const session = event.request.session;
  const last = session[session.length - 1];
  const custom = session.filter((s) => s.challengeName === "CUSTOM_CHALLENGE");
  if (session.length === 1 && last.challengeName === "SRP_A") {
    event.response.issueTokens = false;
    event.response.failAuthentication = false;
    event.response.challengeName = "PASSWORD_VERIFIER";
  } else if (last && last.challengeName === "CUSTOM_CHALLENGE" && last.challengeResult === true) {
    event.response.issueTokens = true;
    event.response.failAuthentication = false;
  } else if (custom.length >= 3 || (last && last.challengeResult === false && last.challengeName !== "CUSTOM_CHALLENGE")) {
    event.response.issueTokens = false;
    event.response.failAuthentication = true;
  } else {
    event.response.issueTokens = false;
    event.response.failAuthentication = false;
    event.response.challengeName = "CUSTOM_CHALLENGE";
  }
  return event;
};
