// Module hooks for bridge.mjs: "cloudflare:workers" (imported by edge/store_do.mjs for its
// DurableObject base class) exists only in workerd; under Node it is an empty class.
export async function resolve(specifier, context, next) {
  if (specifier === "cloudflare:workers") {
    return { url: "data:text/javascript,export class DurableObject {}", shortCircuit: true };
  }
  return next(specifier, context);
}
