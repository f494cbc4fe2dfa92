/** Injection token of the process's pino logger ({@link GatewayLogger}). */
export const GATEWAY_LOGGER = Symbol('GATEWAY_LOGGER');

/** Injection token of the process's log stream and its writers ({@link CreatedLogger}). */
export const GATEWAY_LOGS = Symbol('GATEWAY_LOGS');
