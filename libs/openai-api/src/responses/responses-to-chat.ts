import {
  compileRequestValidator,
  InvalidRequestError,
  type ChatCompletionRequest,
  type ChatMessage,
} from '@app/contracts';
import { refuseUndeclaredFields } from '../contract-fields';
import { CREATE_RESPONSE_REQUEST_SCHEMA } from './responses-request.schema';
import type {
  InputPart,
  ResponseEcho,
  ResponsesInputItem,
  ResponsesRequest,
  TextPart,
  ToolChoice,
} from './responses.types';

/** A Responses request as the chat completion the router sends, plus what the answer echoes. */
export interface TranslatedResponsesRequest {
  chat: ChatCompletionRequest;
  echo: ResponseEcho;
  /** The Responses path of a chat-request `param` (a constraint refusal names `messages[2].content[0]`). */
  readonly paramOf: (chatParam: string | null) => string | null;
}

const validate: (body: unknown) => ResponsesRequest = compileRequestValidator<ResponsesRequest>(
  CREATE_RESPONSE_REQUEST_SCHEMA,
);

/**
 * Validates a `POST /v1/responses` body and translates it to a chat completion request. Throws a
 * 400 naming the field for anything the gateway cannot do (stored state, hosted tools, URLs and
 * file ids for images), never silently dropping it: the schema refuses those, so the document
 * says so too.
 */
export function responsesToChat(body: unknown): TranslatedResponsesRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  const raw = body as Record<string, unknown>;
  refuseUnsupported(raw);
  refuseUndeclaredFields(raw, CREATE_RESPONSE_REQUEST_SCHEMA);
  defaultMessageType(raw.input);
  const request = validate(raw);
  const { messages, params } = toMessages(request);
  const chat: ChatCompletionRequest = { model: request.model, messages };
  copyOptions(request, chat);
  return { chat, echo: echoOf(request), paramOf: (param) => responsesParam(param, params) };
}

/**
 * Fields of OpenAI's API the schema does not declare, and built-in tools it does not take,
 * refused with their own reason before the schema runs (the schema refuses them too).
 */
function refuseUnsupported(body: Record<string, unknown>): void {
  const refuse = (param: string, message: string): never => {
    throw new InvalidRequestError(message, param, 'unsupported_parameter');
  };
  if (given(body.prompt)) {
    refuse(
      'prompt',
      'Stored prompt templates are not supported; send the prompt in `instructions` and `input`.',
    );
  }
  for (const field of ['max_tool_calls', 'top_logprobs', 'context_management'] as const) {
    if (given(body[field]) && body[field] !== 0) {
      refuse(field, `${field} is not supported by the gateway's Responses API.`);
    }
  }
  if (Array.isArray(body.tools)) {
    body.tools.forEach((tool: unknown, i) => {
      const type = isObject(tool) ? tool.type : undefined;
      if (typeof type === 'string' && type !== 'function') {
        refuse(
          `tools[${i}].type`,
          `The built-in tool '${type.slice(0, 64)}' is not hosted by the gateway; declare a function tool instead.`,
        );
      }
    });
  }
  if (isObject(body.tool_choice)) {
    const type = body.tool_choice.type;
    if (typeof type === 'string' && type !== 'function' && type !== 'allowed_tools') {
      refuse(
        'tool_choice.type',
        `tool_choice '${type.slice(0, 64)}' names a built-in tool the gateway does not host.`,
      );
    }
  }
}

/** `{"role":"user","content":"hi"}` is a message item without its `type`. */
function defaultMessageType(input: unknown): void {
  if (!Array.isArray(input)) {
    return;
  }
  for (const item of input) {
    if (isObject(item) && item.type === undefined && item.role !== undefined) {
      item.type = 'message';
    }
  }
}

interface Messages {
  messages: ChatMessage[];
  /** The Responses path each chat message came from (`instructions`, `input`, `input[3]`). */
  params: string[];
}

function toMessages(request: ResponsesRequest): Messages {
  const messages: ChatMessage[] = [];
  const params: string[] = [];
  if (typeof request.instructions === 'string' && request.instructions.length > 0) {
    messages.push({ role: 'system', content: request.instructions });
    params.push('instructions');
  }
  if (typeof request.input === 'string') {
    messages.push({ role: 'user', content: request.input });
    params.push('input');
    return { messages, params };
  }
  request.input.forEach((item: ResponsesInputItem, i) => {
    const path = `input[${i}]`;
    switch (item.type) {
      case 'message':
        messages.push({ role: item.role, content: messageContent(item.role, item.content) });
        params.push(path);
        return;
      case 'function_call': {
        const call = {
          id: item.call_id,
          type: 'function',
          function: { name: item.name, arguments: item.arguments },
        };
        const last = messages.at(-1);
        if (last?.role === 'assistant' && last.tool_calls !== undefined) {
          last.tool_calls.push(call);
        } else if (last?.role === 'assistant' && isTextOnly(last)) {
          last.tool_calls = [call];
        } else {
          messages.push({ role: 'assistant', content: null, tool_calls: [call] });
          params.push(path);
        }
        return;
      }
      case 'reasoning':
        // Earlier turns' thinking is not sent on (the models' chat templates drop it too).
        return;
      case 'function_call_output':
        messages.push({
          role: 'tool',
          tool_call_id: item.call_id,
          content: toolOutput(item.output),
        });
        params.push(path);
        return;
    }
  });
  return { messages, params };
}

function isTextOnly(message: ChatMessage): boolean {
  return typeof message.content === 'string' || message.content === null;
}

function messageContent(role: string, content: string | InputPart[]): ChatMessage['content'] {
  if (typeof content === 'string') {
    return content;
  }
  const parts = content.map(contentPart);
  if (role !== 'user' && parts.every((part) => part.type === 'text')) {
    return parts.map((part) => (part as { text: string }).text).join('');
  }
  return parts;
}

type ChatPart = Exclude<ChatMessage['content'], string | null | undefined>[number];

function contentPart(part: InputPart): ChatPart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    case 'input_image': {
      const detail = part.detail !== undefined ? { detail: part.detail } : {};
      return { type: 'image_url', image_url: { url: part.image_url, ...detail } };
    }
  }
}

function toolOutput(output: string | TextPart[]): string {
  if (typeof output === 'string') {
    return output;
  }
  return output.map((part) => (part.type === 'refusal' ? part.refusal : part.text)).join('');
}

function copyOptions(request: ResponsesRequest, chat: ChatCompletionRequest): void {
  if (request.stream === true) {
    chat.stream = true;
  }
  if (given(request.max_output_tokens)) {
    chat.max_tokens = request.max_output_tokens;
  }
  if (given(request.temperature)) {
    chat.temperature = request.temperature;
  }
  if (given(request.top_p)) {
    chat.top_p = request.top_p;
  }
  if (request.tools !== undefined && request.tools.length > 0) {
    chat.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(given(tool.description) && { description: tool.description }),
        ...(given(tool.parameters) && { parameters: tool.parameters }),
        ...(given(tool.strict) && { strict: tool.strict }),
      },
    }));
  }
  if (request.tool_choice !== undefined) {
    chat.tool_choice = chatToolChoice(request.tool_choice);
  }
  if (given(request.parallel_tool_calls)) {
    chat.parallel_tool_calls = request.parallel_tool_calls;
  }
  const format = request.text?.format;
  if (format?.type === 'json_object') {
    chat.response_format = { type: 'json_object' };
  } else if (format?.type === 'json_schema') {
    chat.response_format = {
      type: 'json_schema',
      json_schema: {
        name: format.name,
        schema: format.schema,
        ...(given(format.description) && { description: format.description }),
        ...(given(format.strict) && { strict: format.strict }),
      },
    };
  }
  if (given(request.text?.verbosity)) {
    chat.verbosity = request.text.verbosity;
  }
  if (given(request.reasoning?.effort)) {
    chat.reasoning_effort = request.reasoning.effort;
  }
  for (const field of ['user', 'safety_identifier', 'prompt_cache_key', 'service_tier'] as const) {
    if (given(request[field])) {
      chat[field] = request[field];
    }
  }
}

function chatToolChoice(choice: ToolChoice): unknown {
  if (typeof choice === 'string') {
    return choice;
  }
  if (choice.type === 'function') {
    return { type: 'function', function: { name: choice.name } };
  }
  return {
    type: 'allowed_tools',
    allowed_tools: {
      mode: choice.mode,
      tools: choice.tools.map((tool) => ({ type: 'function', function: { name: tool.name } })),
    },
  };
}

function echoOf(request: ResponsesRequest): ResponseEcho {
  return {
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: request.metadata ?? {},
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    temperature: request.temperature ?? null,
    top_p: request.top_p ?? null,
    tool_choice: request.tool_choice ?? 'auto',
    tools: (request.tools ?? []).map((tool) => ({
      type: 'function',
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? null,
    })),
    text: {
      format: request.text?.format ?? { type: 'text' },
      ...(given(request.text?.verbosity) && { verbosity: request.text.verbosity }),
    },
    reasoning: { effort: request.reasoning?.effort ?? null, summary: null },
    ...(request.user !== undefined && { user: request.user }),
  };
}

const MESSAGE_PARAM = /^messages\[(\d+)\](.*)$/;

/** Names a chat-request path the way the client wrote it in its Responses request. */
function responsesParam(param: string | null, params: readonly string[]): string | null {
  if (param === null) {
    return null;
  }
  const message = MESSAGE_PARAM.exec(param);
  if (message) {
    const origin = params[Number(message[1])] ?? 'input';
    return origin + message[2].replace(/\.image_url\.url$/, '.image_url');
  }
  if (param === 'messages') {
    return 'input';
  }
  if (param === 'max_tokens' || param === 'max_completion_tokens') {
    return 'max_output_tokens';
  }
  if (param.startsWith('response_format')) {
    return 'text.format';
  }
  if (param === 'reasoning_effort') {
    return 'reasoning.effort';
  }
  return param.replace(/^tools\[(\d+)\]\.function\./, 'tools[$1].');
}

function given<T>(value: T): value is NonNullable<T> {
  return value !== undefined && value !== null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
