export const handler = async (event) => {
  (globalThis.events ??= []).push(structuredClone(event));
  return event;
};
