// The V1_0 pre token generation example from AWS's documentation ("Pre token generation
// Lambda trigger", Node.js), unchanged but for the recording line.
const handler = async (event) => {
  (globalThis.events ??= []).push(structuredClone(event));
  event.response = {
    claimsOverrideDetails: {
      claimsToAddOrOverride: {
        my_first_attribute: "first_value",
        my_second_attribute: "second_value",
      },
      claimsToSuppress: ["email"],
    },
  };

  return event;
};

export { handler };
