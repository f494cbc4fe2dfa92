import { randomBytes } from 'node:crypto';
import type { OutputItem, ResponseEcho, ResponseObject, ResponseUsage } from './responses.types';

/** Random per process; a counter makes each response's ids unique without a syscall per request. */
const PROCESS_ID = randomBytes(6).toString('hex');
let responses = 0;

/** Fresh ids for one response and its items (`resp_…`, `msg_…`, `fc_…`, `ig_…`). */
export class ResponseIds {
  readonly response: string;
  private readonly base: string;
  private next = 0;

  constructor() {
    responses = (responses + 1) % Number.MAX_SAFE_INTEGER;
    this.base = PROCESS_ID + responses.toString(16).padStart(12, '0');
    this.response = `resp_${this.base}`;
  }

  item(prefix: 'msg' | 'fc' | 'ig' | 'rs'): string {
    return `${prefix}_${this.base}${(this.next++).toString(16).padStart(2, '0')}`;
  }
}

/** What every Response of this stateless gateway says of its storage and processing. */
export const RESPONSE_CONSTANTS = {
  store: false,
  background: false,
  truncation: 'disabled',
  previous_response_id: null,
  service_tier: 'default',
} as const satisfies Partial<ResponseObject>;

/** A response with no output yet, as `response.created` announces it. */
export function emptyResponse(
  ids: ResponseIds,
  alias: string,
  echo: ResponseEcho,
  createdAt: number,
): ResponseObject {
  return {
    id: ids.response,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    error: null,
    incomplete_details: null,
    model: alias,
    output: [],
    usage: null,
    ...RESPONSE_CONSTANTS,
    ...echo,
  };
}

/**
 * A chat completion answer as a Responses API `Response`: the model's thinking (vLLM's
 * `reasoning_content`, the cloud APIs' `reasoning`) as a `reasoning` item, the text as a `message` item, each tool
 * call as a `function_call` item, each generated image as an `image_generation_call` item;
 * `finish_reason: "length"` makes it `incomplete` (`max_output_tokens`).
 */
export function chatToResponse(
  body: Record<string, unknown>,
  alias: string,
  echo: ResponseEcho,
  ids = new ResponseIds(),
): ResponseObject {
  const choice = firstChoice(body.choices);
  const message = isObject(choice?.message) ? choice.message : {};
  const output: OutputItem[] = [];
  const text = typeof message.content === 'string' ? message.content : '';
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  const images = Array.isArray(message.images) ? message.images : [];
  const thinking = reasoningOf(message);
  if (thinking !== '') {
    output.push(reasoningItem(ids.item('rs'), thinking, 'completed'));
  }
  if (text !== '' || (calls.length === 0 && images.length === 0)) {
    output.push(messageItem(ids.item('msg'), text, 'completed'));
  }
  for (const call of calls) {
    const item = functionCallItem(ids, call);
    if (item) {
      output.push(item);
    }
  }
  for (const image of images) {
    const item = imageItem(ids, image);
    if (item) {
      output.push(item);
    }
  }
  const created = typeof body.created === 'number' ? body.created : Math.floor(Date.now() / 1000);
  const response = emptyResponse(ids, alias, echo, created);
  const reason = incompleteReason(choice?.finish_reason);
  response.status = reason ? 'incomplete' : 'completed';
  response.incomplete_details = reason ? { reason } : null;
  response.output = output;
  response.usage = usageOf(body.usage);
  return response;
}

/** The thinking a chat message or delta carries, under either name it goes by. */
export function reasoningOf(message: Record<string, unknown>): string {
  const value = message.reasoning_content ?? message.reasoning;
  return typeof value === 'string' ? value : '';
}

export function reasoningItem(
  id: string,
  text: string,
  status: 'in_progress' | 'completed' | 'incomplete',
): Extract<OutputItem, { type: 'reasoning' }> {
  return {
    type: 'reasoning',
    id,
    status,
    summary: [],
    content: status === 'in_progress' ? [] : [{ type: 'reasoning_text', text }],
  };
}

export function messageItem(
  id: string,
  text: string,
  status: 'in_progress' | 'completed' | 'incomplete',
): Extract<OutputItem, { type: 'message' }> {
  return {
    type: 'message',
    id,
    status,
    role: 'assistant',
    content: status === 'in_progress' ? [] : [outputText(text)],
  };
}

export function outputText(text: string): {
  type: 'output_text';
  text: string;
  annotations: never[];
  logprobs: never[];
} {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function functionCallItem(ids: ResponseIds, call: unknown): OutputItem | undefined {
  if (!isObject(call) || !isObject(call.function)) {
    return undefined;
  }
  const fn = call.function;
  return {
    type: 'function_call',
    id: ids.item('fc'),
    call_id: typeof call.id === 'string' && call.id !== '' ? call.id : ids.item('fc'),
    name: typeof fn.name === 'string' ? fn.name : '',
    arguments: typeof fn.arguments === 'string' ? fn.arguments : '',
    status: 'completed',
  };
}

const DATA_URI = /^data:image\/([a-z0-9.+-]+);base64,/i;

/** `{type:"image_url", image_url:{url:"data:image/png;base64,…"}}` → an `image_generation_call` item. */
export function imageItem(ids: ResponseIds, image: unknown): OutputItem | undefined {
  const url = isObject(image) && isObject(image.image_url) ? image.image_url.url : undefined;
  const parsed = typeof url === 'string' ? imageData(url) : undefined;
  if (!parsed) {
    return undefined;
  }
  return {
    type: 'image_generation_call',
    id: ids.item('ig'),
    status: 'completed',
    result: parsed.base64,
    output_format: parsed.format,
  };
}

/** The base64 payload and format of a `data:image/<format>;base64,` URI. */
export function imageData(url: string): { base64: string; format: string } | undefined {
  const match = DATA_URI.exec(url);
  return match ? { base64: url.slice(match[0].length), format: match[1].toLowerCase() } : undefined;
}

export function incompleteReason(
  finishReason: unknown,
): 'max_output_tokens' | 'content_filter' | undefined {
  if (finishReason === 'length') {
    return 'max_output_tokens';
  }
  return finishReason === 'content_filter' ? 'content_filter' : undefined;
}

/** Chat `usage` in the Responses shape; `null` when the upstream sent none. */
export function usageOf(usage: unknown): ResponseUsage | null {
  if (!isObject(usage)) {
    return null;
  }
  const input = count(usage.prompt_tokens);
  const output = count(usage.completion_tokens);
  const cached = isObject(usage.prompt_tokens_details)
    ? count(usage.prompt_tokens_details.cached_tokens)
    : 0;
  const reasoning = isObject(usage.completion_tokens_details)
    ? count(usage.completion_tokens_details.reasoning_tokens)
    : 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + output,
  };
}

function firstChoice(choices: unknown): Record<string, unknown> | undefined {
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
  return isObject(first) ? first : undefined;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
