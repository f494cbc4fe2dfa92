import type { IncomingMessage } from 'node:http';
import type { Principal } from '@app/auth';
import type { DataPolicy } from '@app/config';
import { InvalidRequestError } from '@app/contracts';
import type { RequestRecord } from '@app/telemetry';

/** The request header by which a request tightens its key's data policy (it can never loosen it). */
export const DATA_POLICY_HEADER = 'x-gateway-data-policy';

/** Who asks, and under which terms: everything the chat service needs besides the body. */
export interface ChatCall {
  principal: Principal;
  requestId: string;
  record?: RequestRecord;
  /** `local_only` when the key or the request says so. */
  dataPolicy?: DataPolicy;
}

type CallRequest = IncomingMessage & {
  id: string;
  principal: Principal;
  record?: RequestRecord;
};

/** The call a request makes; refuses a data-policy header other than `local-only` or `any`. */
export function chatCallOf(req: IncomingMessage): ChatCall {
  const { id, principal, record } = req as CallRequest;
  const requested = dataPolicyHeader(req.headers[DATA_POLICY_HEADER]);
  const dataPolicy =
    principal.dataPolicy === 'local_only' || requested === 'local_only' ? 'local_only' : undefined;
  return { principal, requestId: id, record, ...(dataPolicy && { dataPolicy }) };
}

function dataPolicyHeader(value: string | string[] | undefined): DataPolicy | undefined {
  if (value === undefined) {
    return undefined;
  }
  const policy = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (policy === 'local-only' || policy === 'local_only') {
    return 'local_only';
  }
  if (policy === 'any') {
    return undefined; // Never loosens a key's local_only.
  }
  throw new InvalidRequestError(
    `${DATA_POLICY_HEADER} must be "local-only" or "any".`,
    DATA_POLICY_HEADER,
    'invalid_value',
  );
}
