// Returns nothing: Lambda answers null, which Cognito cannot use.
export const handler = async (event) => {
  (globalThis.events ??= []).push(structuredClone(event));
};
