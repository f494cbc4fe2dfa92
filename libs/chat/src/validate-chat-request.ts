import {
  compileRequestValidator,
  CREATE_CHAT_COMPLETION_REQUEST_SCHEMA,
  type ChatCompletionRequest,
} from '@app/contracts';

/**
 * Validates a parsed chat completion body against the published request schema
 * ({@link CREATE_CHAT_COMPLETION_REQUEST_SCHEMA}, compiled once) and returns it unchanged (same
 * object: vendor fields intact, nothing stripped or coerced), or throws an `InvalidRequestError`
 * whose `param` is the exact path of the first bad field. Model-independent: per-model rules live
 * in constraints.
 */
export const validateChatRequest: (body: unknown) => ChatCompletionRequest =
  compileRequestValidator<ChatCompletionRequest>(CREATE_CHAT_COMPLETION_REQUEST_SCHEMA);
