import { planJsonAnswer, planToolCall, type PlannedToolCall } from './chat-features';
import { isImageModel, isReasoningModel } from './model-kind';
import { describeImage, inspectImage } from './png-image';
import { SimHttpError } from './sim-http.error';
import type { SimFlavor } from './sim-types';

/** What shapes an answer besides the request itself. */
export interface PlanContext {
  name: string;
  flavor: SimFlavor;
  models: ReadonlySet<string> | undefined;
  reasoningTokens: number;
  contextWindow: number;
  contextWindows: Readonly<Record<string, number>> | undefined;
}

/** The whole answer to one chat request, decided before a byte is sent. */
export interface ChatPlan {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  /** Visible tokens; joined they form the content. */
  tokens: string[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  promptTokens: number;
  completionTokens: number;
  /** Hidden thinking tokens spent; `undefined` for non-reasoning models. */
  reasoningTokens: number | undefined;
  /**
   * The visible summary of that thinking a reasoning model returns beside its answer
   * (`reasoning_content` from vLLM, `reasoning` from the cloud APIs); absent when it did not think.
   */
  reasoning?: string;
  /** Set for image models: the prompt the picture is drawn from. */
  imagePrompt: string | undefined;
  /** Set when the model calls a tool instead of answering (`finish_reason: "tool_calls"`). */
  toolCall?: PlannedToolCall;
}

const MAX_ECHO_WORDS = 256;
const MAX_ASKED_WORDS = 100_000;
const IMAGE_PROMPT_TOKENS = 85;
const VOCABULARY = (
  'the gateway routes each request to a healthy backend and streams tokens back while ' +
  'floors guard reasoning budgets so every answer stays visible on the spark'
).split(' ');

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalCount(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) {
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new SimHttpError(400, `'${key}' must be a positive integer.`, 'invalid_value', key);
  }
  return v;
}

interface PromptScan {
  chars: number;
  images: number;
  lastUserText: string;
  facts: string[];
  /** The content of the last tool result, when the conversation ends with one. */
  toolResult: string | undefined;
}

/** Walks the messages once: counts the prompt, refuses fetchable image URLs, reads data URIs. */
function scanMessages(messages: unknown[]): PromptScan {
  const scan: PromptScan = {
    chars: 0,
    images: 0,
    lastUserText: '',
    facts: [],
    toolResult: undefined,
  };
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!isRecord(m) || typeof m.role !== 'string') {
      throw new SimHttpError(
        400,
        `messages[${i}] must be an object with a role.`,
        'invalid_value',
        `messages[${i}]`,
      );
    }
    const isUser = m.role === 'user';
    const { content } = m;
    scan.toolResult = m.role === 'tool' && typeof content === 'string' ? content : undefined;
    if (typeof content === 'string') {
      scan.chars += content.length;
      if (isUser) {
        scan.lastUserText = content;
        scan.facts = [];
      }
      continue;
    }
    if (!Array.isArray(content)) {
      continue;
    }
    const texts: string[] = [];
    const facts: string[] = [];
    for (let j = 0; j < content.length; j++) {
      const part: unknown = content[j];
      if (!isRecord(part)) {
        continue;
      }
      if (part.type === 'text' && typeof part.text === 'string') {
        scan.chars += part.text.length;
        texts.push(part.text);
      } else if (part.type === 'image_url') {
        scan.images++;
        facts.push(readImagePart(part.image_url, `messages[${i}].content[${j}].image_url`));
      }
    }
    if (isUser) {
      scan.lastUserText = texts.join(' ');
      scan.facts = facts;
    }
  }
  return scan;
}

const DATA_URI = /^data:([^;,]*)((?:;[^;,]*)*),/;

function readImagePart(imageUrl: unknown, param: string): string {
  const url = isRecord(imageUrl) ? imageUrl.url : undefined;
  if (typeof url !== 'string') {
    throw new SimHttpError(
      400,
      `'${param}.url' must be a string.`,
      'invalid_value',
      `${param}.url`,
    );
  }
  const m = DATA_URI.exec(url);
  if (!m) {
    throw new SimHttpError(
      400,
      'Image URL fetch not supported: inline the image as a base64 data: URI.',
      'image_url_not_supported',
      `${param}.url`,
    );
  }
  if (!m[2].split(';').includes('base64')) {
    throw new SimHttpError(
      400,
      'Image data URI must be base64-encoded.',
      'invalid_image',
      `${param}.url`,
    );
  }
  const bytes = Buffer.from(url.slice(m[0].length), 'base64');
  if (bytes.length === 0) {
    throw new SimHttpError(400, 'Image data URI holds no bytes.', 'invalid_image', `${param}.url`);
  }
  return describeImage(inspectImage(bytes), m[1] || 'unknown');
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

/** Deterministic visible answer: N filler words if asked for "N words", else facts plus an echo. */
function answerWords(ctx: PlanContext, scan: PromptScan): string[] {
  const asked = /\b(\d{1,6})\s+words?\b/i.exec(scan.lastUserText);
  if (asked) {
    const n = Math.min(Number(asked[1]), MAX_ASKED_WORDS);
    return Array.from({ length: n }, (_, i) => VOCABULARY[i % VOCABULARY.length]);
  }
  if (scan.toolResult !== undefined) {
    return ['The', 'tool', 'returned:', ...words(scan.toolResult).slice(0, MAX_ECHO_WORDS)];
  }
  const echo = words(scan.lastUserText).slice(0, MAX_ECHO_WORDS);
  const intro = echo.length > 0 ? ['You', 'said:', ...echo] : ['Hello', 'from', `${ctx.name}.`];
  return [...scan.facts.flatMap(words), ...intro];
}

/** A JSON answer streamed in small pieces, as models do (joined, it is the JSON text). */
function jsonTokens(json: string): string[] {
  return json.match(/.{1,8}/gs) ?? [json];
}

function toTokens(ws: string[]): string[] {
  return ws.map((w, i) => (i === 0 ? w : ` ${w}`));
}

/**
 * Validates a chat request the way the providers do and decides the full answer.
 * Throws `SimHttpError` for anything a provider would refuse.
 */
export function planChat(body: unknown, ctx: PlanContext, seq = 0): ChatPlan {
  if (!isRecord(body)) {
    throw new SimHttpError(400, 'The request body must be a JSON object.', 'invalid_request_error');
  }
  const { model, messages } = body;
  if (typeof model !== 'string' || model.length === 0) {
    throw new SimHttpError(400, "'model' is required.", 'invalid_value', 'model');
  }
  if (ctx.models && !ctx.models.has(model)) {
    throw new SimHttpError(
      404,
      `The model \`${model}\` does not exist or you do not have access to it.`,
      'model_not_found',
      'model',
    );
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new SimHttpError(
      400,
      "'messages' must be a non-empty array.",
      'invalid_value',
      'messages',
    );
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw new SimHttpError(400, "'stream' must be a boolean.", 'invalid_type', 'stream');
  }
  if (
    isRecord(body.stream_options) &&
    Object.keys(body.stream_options).length > 0 &&
    !body.stream
  ) {
    // vLLM's check, truthiness included: `{}` and null pass, anything else needs `stream=True`.
    throw new SimHttpError(
      400,
      'Stream options can only be defined when `stream=True`.',
      'invalid_value',
      'stream_options',
    );
  }
  const maxTokens =
    optionalCount(body, 'max_completion_tokens') ?? optionalCount(body, 'max_tokens');
  const maxKey = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
  if (
    ctx.flavor === 'openrouter' &&
    model.startsWith('openai/') &&
    maxTokens !== undefined &&
    maxTokens < 16
  ) {
    // OpenAI behind OpenRouter refuses tiny budgets; the gateway's floor of 16 exists for this.
    throw new SimHttpError(
      400,
      `Invalid '${maxKey}': integer below minimum value. Expected a value >= 16, but got ${maxTokens} instead.`,
      'integer_below_min_value',
      maxKey,
    );
  }

  const scan = scanMessages(messages);
  const promptTokens = Math.ceil(scan.chars / 4) + scan.images * IMAGE_PROMPT_TOKENS;
  const window = ctx.contextWindows?.[model] ?? ctx.contextWindow;
  if (promptTokens > window) {
    throw new SimHttpError(
      400,
      `This model's maximum context length is ${window} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
      'context_length_exceeded',
      'messages',
    );
  }

  const streamOptions = body.stream_options;
  const stream = body.stream === true;
  const includeUsage = stream && isRecord(streamOptions) && streamOptions.include_usage === true;
  const base = { model, stream, includeUsage, promptTokens };

  if (isImageModel(model)) {
    const prompt = scan.lastUserText || 'an image';
    const tokens = toTokens(['Here', 'is', 'your', 'image:', ...words(prompt).slice(0, 12)]);
    return {
      ...base,
      tokens,
      finishReason: 'stop',
      completionTokens: tokens.length,
      reasoningTokens: undefined,
      imagePrompt: prompt,
    };
  }

  const budget = maxTokens ?? Number.POSITIVE_INFINITY;
  const toolCall = planToolCall(body, messages, scan.lastUserText, seq);
  if (toolCall) {
    const thinking = isReasoningModel(model) ? Math.min(ctx.reasoningTokens, budget) : undefined;
    return {
      ...base,
      ...reasoningOf(thinking, scan),
      tokens: [],
      finishReason: 'tool_calls',
      completionTokens: (thinking ?? 0) + Math.ceil(toolCall.arguments.length / 4),
      reasoningTokens: thinking,
      imagePrompt: undefined,
      toolCall,
    };
  }
  const text = toTokens(answerWords(ctx, scan));
  const json = planJsonAnswer(body, text.join(''));
  const answer = json === undefined ? text : jsonTokens(json);
  const thinking = isReasoningModel(model) ? Math.min(ctx.reasoningTokens, budget) : undefined;
  const room = budget - (thinking ?? 0);
  const tokens = answer.length > room ? answer.slice(0, room) : answer;
  return {
    ...base,
    ...reasoningOf(thinking, scan),
    tokens,
    finishReason: answer.length > room ? 'length' : 'stop',
    completionTokens: (thinking ?? 0) + tokens.length,
    reasoningTokens: thinking,
    imagePrompt: undefined,
  };
}

/** A short, deterministic summary of the thinking, when the model spent any. */
function reasoningOf(thinking: number | undefined, scan: PromptScan): { reasoning?: string } {
  if (!thinking) {
    return {};
  }
  const topic = words(scan.lastUserText).slice(0, 8).join(' ');
  return {
    reasoning: `Thinking about ${topic ? `"${topic}"` : 'the request'} (${thinking} tokens).`,
  };
}
