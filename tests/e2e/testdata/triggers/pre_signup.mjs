// A PreSignUp handler written as for Lambda (ESM, async): invited users are confirmed and
// their email verified; one domain is refused.
export const handler = async (event) => {
  (globalThis.events ??= []).push(structuredClone(event));
  const email = event.request.userAttributes.email ?? "";
  if (email.endsWith("@blocked.example")) {
    throw new Error("Domain not allowed");
  }
  if (event.request.validationData?.invite === "yes") {
    event.response.autoConfirmUser = true;
    event.response.autoVerifyEmail = true;
  }
  return event;
};
