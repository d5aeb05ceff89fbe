// CreateAuthChallenge as in AWS's example: a secret code in privateChallengeParameters (here
// fixed, so the test can answer it), a hint in publicChallengeParameters.
export const handler = async (event) => {
  (globalThis.events ??= []).push(structuredClone(event));
  if (event.request.challengeName === "CUSTOM_CHALLENGE") {
    event.response.publicChallengeParameters = { hint: "what is six times seven?" };
    event.response.privateChallengeParameters = { answer: "42" };
    event.response.challengeMetadata = `QUESTION-${event.request.session.length + 1}`;
  }
  return event;
};
