// Test helper, not a trigger: the events the handlers above received for one user pool.
export const handler = async (query) => (globalThis.events ?? []).filter((e) => e.userPoolId === query.userPoolId);
