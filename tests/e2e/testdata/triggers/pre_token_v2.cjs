// A V2_0 pre token generation handler in the style of AWS's example (CommonJS, answering
// through context.done): claims and scopes added to and removed from both tokens, groups
// overridden.
exports.handler = function (event, context) {
  (globalThis.events ??= []).push(JSON.parse(JSON.stringify(event)));
  event.response = {
    claimsAndScopeOverrideDetails: {
      idTokenGeneration: {
        claimsToAddOrOverride: { family_name: "Doe" },
        claimsToSuppress: ["email", "phone_number"],
      },
      accessTokenGeneration: {
        claimsToAddOrOverride: { my_first_attribute: "first_value", my_second_attribute: "second_value" },
        claimsToSuppress: ["email", "phone_number"],
        scopesToAdd: ["openid", "email", "solar-system-data/asteroids.add"],
        scopesToSuppress: ["phone_number", "aws.cognito.signin.user.admin"],
      },
      groupOverrideDetails: {
        groupsToOverride: ["new-group-A", "new-group-B", "new-group-C"],
        iamRolesToOverride: ["arn:aws:iam::123456789012:role/new_roleA", "arn:aws:iam::123456789012:role/new_roleB"],
        preferredRole: "arn:aws:iam::123456789012:role/new_roleA",
      },
    },
  };
  context.done(null, event);
};
