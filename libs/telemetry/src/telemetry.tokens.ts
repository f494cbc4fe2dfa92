/** Injection token of the process's pino logger ({@link GatewayLogger}). */
export const GATEWAY_LOGGER = Symbol('GATEWAY_LOGGER');
