import { InvalidRequestError, ROUTING_CONTROL_KEYS, type JsonSchema } from '@app/contracts';

const ROUTING = new Set(ROUTING_CONTROL_KEYS);

/**
 * Top-level fields the schema does not declare, refused by name before validation: these routes
 * forward nothing they do not translate, so an unknown field would otherwise be silently dropped.
 */
export function refuseUndeclaredFields(body: Record<string, unknown>, schema: JsonSchema): void {
  const declared = schema.properties as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (Object.hasOwn(declared, key)) {
      continue;
    }
    throw new InvalidRequestError(
      ROUTING.has(key)
        ? `"${key}" is not accepted: routing, credentials and fallbacks are chosen by the gateway.`
        : `Unsupported parameter: '${key.slice(0, 64)}' is not supported on this route.`,
      key.slice(0, 256),
      'unsupported_parameter',
    );
  }
}
