import type { GatewayError } from '@app/contracts';

/** The same error (class, status, code, message, headers) naming `param` instead. */
export function withParam<E extends GatewayError>(error: E, param: string | null): E {
  if (param === error.param) {
    return error;
  }
  const copy = Object.create(Object.getPrototypeOf(error) as object) as E;
  return Object.assign(copy, error, { param, stack: error.stack });
}
