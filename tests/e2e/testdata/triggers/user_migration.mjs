// A UserMigration handler as AWS's example writes it, over a stand-in legacy system: on
// sign-in it checks the password there; on a password reset it only looks the user up.
const legacy = new Map([
  ["lee", { password: "Legacy-Pass-1", email: "lee@legacy.example" }],
  ["rita", { password: "Legacy-Pass-2", email: "rita@legacy.example" }],
]);

export const handler = async (event) => {
  (globalThis.events ??= []).push(structuredClone(event));
  const user = legacy.get(event.userName);
  if (!user) throw new Error("User does not exist");
  if (event.triggerSource === "UserMigration_Authentication" && event.request.password !== user.password) {
    throw new Error("Bad password");
  }
  event.response.userAttributes = { email: user.email, email_verified: "true" };
  event.response.finalUserStatus = event.triggerSource === "UserMigration_Authentication" ? "CONFIRMED" : "RESET_REQUIRED";
  event.response.messageAction = "SUPPRESS";
  return event;
};
