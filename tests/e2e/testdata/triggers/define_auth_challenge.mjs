// DefineAuthChallenge as in AWS's example: tokens after a right answer, failure after three
// wrong ones, else another CUSTOM_CHALLENGE.
export const handler = async (event) => {
  (globalThis.events ??= []).push(structuredClone(event));
  const session = event.request.session;
  const last = session[session.length - 1];
  if (last && last.challengeName === "CUSTOM_CHALLENGE" && last.challengeResult === true) {
    event.response.issueTokens = true;
    event.response.failAuthentication = false;
  } else if (session.length >= 3) {
    event.response.issueTokens = false;
    event.response.failAuthentication = true;
  } else {
    event.response.issueTokens = false;
    event.response.failAuthentication = false;
    event.response.challengeName = "CUSTOM_CHALLENGE";
  }
  return event;
};
