// Takes longer than Cognito's 5 seconds by the server's clock: the test moves the clock on
// while the handler runs (TRIGGER_TEST_CLOCK_URL), so no test waits in real time.
export const handler = async (event) => {
  (globalThis.events ??= []).push(structuredClone(event));
  const res = await fetch(process.env.TRIGGER_TEST_CLOCK_URL, { method: "POST" });
  if (!res.ok) throw new Error(`clock: ${res.status}`);
  return event;
};
