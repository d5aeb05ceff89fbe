// A PostConfirmation handler in CommonJS with Lambda's callback style.
exports.handler = (event, context, callback) => {
  (globalThis.events ??= []).push(structuredClone(event));
  callback(null, event);
};
