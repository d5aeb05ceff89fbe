// A PreAuthentication handler that refuses sign-ins whose ClientMetadata asks it to.
export const handler = async (event) => {
  (globalThis.events ??= []).push(structuredClone(event));
  if (event.request.validationData?.block === "yes") {
    throw new Error("Blocked by policy");
  }
  return event;
};
