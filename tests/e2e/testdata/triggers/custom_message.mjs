// A CustomMessage handler in the style of AWS's example: its own text for sign-up codes and
// invitations, keeping the code (and username) placeholders Cognito gives it.
export const handler = async (event) => {
  (globalThis.events ??= []).push(structuredClone(event));
  const { codeParameter, usernameParameter } = event.request;
  if (event.triggerSource === "CustomMessage_SignUp") {
    event.response.emailSubject = "Welcome to the service";
    event.response.emailMessage = `Thank you for signing up. ${codeParameter} is your verification code`;
  } else if (event.triggerSource === "CustomMessage_AdminCreateUser") {
    event.response.emailSubject = "Your new account";
    event.response.emailMessage = `Welcome ${usernameParameter}. Your temporary password is ${codeParameter}`;
  }
  return event;
};
