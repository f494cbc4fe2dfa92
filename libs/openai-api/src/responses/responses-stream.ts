import { jsonStringEnd, type SseTranslator } from '@app/chat';
import {
  RESPONSE_CONSTANTS,
  imageItem,
  incompleteReason,
  isObject,
  messageItem,
  outputText,
  reasoningItem,
  reasoningOf,
  ResponseIds,
  usageOf,
} from './chat-to-response';
import type { OutputItem, ResponseEcho, ResponseObject, ResponseUsage } from './responses.types';

type Open =
  | { kind: 'message'; index: number; id: string; text: string }
  | { kind: 'reasoning'; index: number; id: string; text: string }
  | {
      kind: 'call';
      index: number;
      id: string;
      callId: string;
      name: string;
      args: string;
      /** The chat `tool_calls[].index` this item is fed by. */
      chatIndex: number;
    };

/**
 * The fields of a chat chunk that matter here or to the relay. A chunk of one choice (one `delta`)
 * in which every other one is null but a text `content` is plain: most of a stream, read without a
 * parse.
 */
const NOTABLE =
  /"(delta|content|error|usage|reasoning|reasoning_content|tool_calls|images|refusal|finish_reason)":\s*/g;

/** The JSON string between `start` (its opening quote) and `end` (past its closing one), or undefined. */
function stringAt(data: string, start: number, end: number): string | undefined {
  const raw = data.indexOf('\\', start);
  if (raw < 0 || raw >= end) {
    return data.slice(start + 1, end - 1); // Nothing escaped: the text is the bytes.
  }
  try {
    return JSON.parse(data.slice(start, end)) as string;
  } catch {
    return undefined;
  }
}

/**
 * A Response's JSON written from parts: what a stream never changes (ids, model, the echo of the
 * request) is serialised once, and the output items come as the JSON their `.done` events carried.
 * Exactly JSON.stringify of {@link emptyResponse}'s object in the same state (its fields, in its
 * order); a test holds it to that.
 */
export class ResponseJson {
  private readonly head: string;
  private readonly model: string;
  private readonly tail: string;

  constructor(ids: ResponseIds, alias: string, echo: ResponseEcho, createdAt: number) {
    this.head = `{"id":${JSON.stringify(ids.response)},"object":"response","created_at":${createdAt}`;
    this.model = JSON.stringify(alias);
    const echoed = JSON.stringify(echo);
    this.tail = `,${CONSTANTS_JSON}${echoed === '{}' ? '}' : `,${echoed.slice(1)}`}`;
  }

  of(
    status: ResponseObject['status'],
    output: readonly string[],
    usage: ResponseUsage | null,
    details: Pick<ResponseObject, 'error' | 'incomplete_details'> = NO_DETAILS,
  ): string {
    return (
      `${this.head},"status":"${status}","error":${JSON.stringify(details.error)},` +
      `"incomplete_details":${JSON.stringify(details.incomplete_details)},"model":${this.model},` +
      `"output":[${output.join(',')}],"usage":${JSON.stringify(usage)}${this.tail}`
    );
  }
}

const NO_DETAILS = { error: null, incomplete_details: null } as const;
const EMPTY_TEXT_PART = JSON.stringify(outputText(''));
/** The constant fields, in emptyResponse's order, without their braces. */
const CONSTANTS_JSON = JSON.stringify(RESPONSE_CONSTANTS).slice(1, -1);

/**
 * Chat completion chunks → the Responses API's typed stream, in the order OpenAI's SDKs parse it:
 * `response.created`, `response.in_progress`, then per output item `output_item.added`
 * (`content_part.added`, `output_text.delta`…, `output_text.done`, `content_part.done` for text;
 * `function_call_arguments.delta`…, `.done` for a tool call) and `output_item.done`, and last
 * `response.completed` (or `response.incomplete` when the token budget ran out). A stream cut
 * mid-way ends with `response.failed` carrying the error — never a completion. One item is open
 * at a time; every event carries its `sequence_number`.
 */
export class ResponsesStreamTranslator implements SseTranslator {
  private readonly ids = new ResponseIds();
  private readonly output: OutputItem[] = [];
  /** Each output item's JSON, as its `output_item.done` event carried it. */
  private readonly outputJson: string[] = [];
  private seq = 0;
  private started = false;
  private open: Open | undefined;
  private usage: ResponseUsage | null = null;
  private finishReason: unknown;
  private readonly json: ResponseJson;
  /** The text around the content string of the last plain chunk (quotes included). */
  private plainShape: { before: string; after: string } | undefined;

  constructor(alias: string, echo: ResponseEcho, createdAt = Math.floor(Date.now() / 1000)) {
    this.json = new ResponseJson(this.ids, alias, echo, createdAt);
  }

  chunk(chunk: Record<string, unknown>): string {
    let out = this.start();
    if (chunk.usage !== undefined && chunk.usage !== null) {
      this.usage = usageOf(chunk.usage);
    }
    const choice: unknown = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (!isObject(choice)) {
      return out;
    }
    const delta = isObject(choice.delta) ? choice.delta : {};
    const thinking = reasoningOf(delta);
    if (thinking !== '') {
      out += this.reasoning(thinking);
    }
    if (typeof delta.content === 'string' && delta.content !== '') {
      out += this.text(delta.content);
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls) {
        out += this.toolCall(call);
      }
    }
    if (Array.isArray(delta.images)) {
      for (const image of delta.images) {
        out += this.image(image);
      }
    }
    if (choice.finish_reason !== undefined && choice.finish_reason !== null) {
      this.finishReason = choice.finish_reason;
    }
    return out;
  }

  plain(data: string): string | undefined {
    const content = this.textOf(data);
    if (content === undefined) {
      return undefined;
    }
    return content === '' ? this.start() : this.start() + this.text(content);
  }

  /**
   * The text of a plain chunk. The upstream repeats one chunk shape with only the text changing,
   * so once a chunk was found plain by a scan, a chunk with the same text around its content (the
   * same fields, byte for byte) is plain too: only its content string is read.
   */
  private textOf(data: string): string | undefined {
    const shape = this.plainShape;
    if (
      shape !== undefined &&
      data.length >= shape.before.length + shape.after.length &&
      // Compared as slices: V8's startsWith walks sliced strings character by character.
      data.slice(0, shape.before.length) === shape.before &&
      data.slice(data.length - shape.after.length) === shape.after
    ) {
      const start = shape.before.length - 1;
      const end = data.length - shape.after.length + 1;
      if (jsonStringEnd(data, start) === end) {
        return stringAt(data, start, end);
      }
    }
    return this.scan(data);
  }

  /** A chunk read by one scan for its notable fields; remembers the shape of a plain one. */
  private scan(data: string): string | undefined {
    let content: string | undefined;
    let at = -1;
    let end = -1;
    let deltas = 0;
    NOTABLE.lastIndex = 0;
    for (let m = NOTABLE.exec(data); m !== null; m = NOTABLE.exec(data)) {
      const value = NOTABLE.lastIndex;
      if (m[1] === 'delta') {
        if (++deltas > 1) {
          return undefined; // Choices after the first are not read: only a parse tells them apart.
        }
        continue;
      }
      if (data.startsWith('null', value)) {
        continue;
      }
      end = m[1] === 'content' && content === undefined ? jsonStringEnd(data, value) : -1;
      content = end < 0 ? undefined : stringAt(data, value, end);
      if (content === undefined) {
        return undefined;
      }
      at = value;
      NOTABLE.lastIndex = end;
    }
    if (content === undefined || data.charCodeAt(data.length - 1) !== 0x7d /* } */) {
      return undefined;
    }
    this.plainShape = { before: data.slice(0, at + 1), after: data.slice(end - 1) };
    return content;
  }

  done(): string {
    let out = this.start() + this.close();
    if (this.output.length === 0) {
      // A completion with no visible content still answers with one (empty) message.
      out += this.text('') + this.close();
    }
    const reason = incompleteReason(this.finishReason);
    const response = reason
      ? this.json.of('incomplete', this.outputJson, this.usage, {
          error: null,
          incomplete_details: { reason },
        })
      : this.json.of('completed', this.outputJson, this.usage);
    return out + this.lifecycle(reason ? 'response.incomplete' : 'response.completed', response);
  }

  fail(code: string, message: string): string {
    const output = this.open
      ? [...this.outputJson, JSON.stringify(this.openItem('incomplete'))]
      : this.outputJson;
    const response = this.json.of('failed', output, this.usage, {
      error: { code, message },
      incomplete_details: null,
    });
    return this.start() + this.lifecycle('response.failed', response);
  }

  private start(): string {
    if (this.started) {
      return '';
    }
    this.started = true;
    // Both announce the same response: serialised once.
    const response = this.json.of('in_progress', [], null);
    return (
      this.lifecycle('response.created', response) +
      this.lifecycle('response.in_progress', response)
    );
  }

  private text(delta: string): string {
    let out = '';
    if (this.open?.kind !== 'message') {
      out += this.close();
      const open: Open = {
        kind: 'message',
        index: this.output.length,
        id: this.ids.item('msg'),
        text: '',
      };
      this.open = open;
      // Every stream's one message item opens with these two: written from templates (ids are
      // [a-z0-9_]); the same bytes as `event()` with messageItem(id, '', 'in_progress') and outputText('').
      out +=
        `event: response.output_item.added\ndata: {"type":"response.output_item.added",` +
        `"sequence_number":${this.seq++},"output_index":${open.index},"item":{"type":"message",` +
        `"id":"${open.id}","status":"in_progress","role":"assistant","content":[]}}\n\n` +
        `event: response.content_part.added\ndata: {"type":"response.content_part.added",` +
        `"sequence_number":${this.seq++},"item_id":"${open.id}","output_index":${open.index},` +
        `"content_index":0,"part":${EMPTY_TEXT_PART}}\n\n`;
    }
    const open = this.open;
    if (delta === '') {
      return out;
    }
    open.text += delta;
    // The one event per token: written from a template, not an object (ids are [a-z0-9_]).
    const seq = this.seq++;
    return (
      out +
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${seq},` +
      `"item_id":"${open.id}","output_index":${open.index},"content_index":0,"delta":${JSON.stringify(delta)},"logprobs":[]}\n\n`
    );
  }

  /** Thinking deltas: a `reasoning` item with one `reasoning_text` part, as OpenAI streams it. */
  private reasoning(delta: string): string {
    let out = '';
    if (this.open?.kind !== 'reasoning') {
      out += this.close();
      const open: Open = {
        kind: 'reasoning',
        index: this.output.length,
        id: this.ids.item('rs'),
        text: '',
      };
      this.open = open;
      out += this.event('response.output_item.added', {
        output_index: open.index,
        item: reasoningItem(open.id, '', 'in_progress'),
      });
      out += this.event('response.content_part.added', {
        item_id: open.id,
        output_index: open.index,
        content_index: 0,
        part: { type: 'reasoning_text', text: '' },
      });
    }
    const open = this.open;
    open.text += delta;
    return (
      out +
      this.event('response.reasoning_text.delta', {
        item_id: open.id,
        output_index: open.index,
        content_index: 0,
        delta,
      })
    );
  }

  private toolCall(call: unknown): string {
    if (!isObject(call)) {
      return '';
    }
    const fn = isObject(call.function) ? call.function : {};
    const chatIndex = typeof call.index === 'number' ? call.index : 0;
    let out = '';
    if (this.open?.kind !== 'call' || this.open.chatIndex !== chatIndex) {
      out += this.close();
      const open: Open = {
        kind: 'call',
        index: this.output.length,
        id: this.ids.item('fc'),
        callId: typeof call.id === 'string' && call.id !== '' ? call.id : this.ids.item('fc'),
        name: typeof fn.name === 'string' ? fn.name : '',
        args: '',
        chatIndex,
      };
      this.open = open;
      out += this.event('response.output_item.added', {
        output_index: open.index,
        item: this.openItem('in_progress'),
      });
    }
    const open = this.open;
    const delta = typeof fn.arguments === 'string' ? fn.arguments : '';
    if (delta === '') {
      return out;
    }
    open.args += delta;
    return (
      out +
      this.event('response.function_call_arguments.delta', {
        item_id: open.id,
        output_index: open.index,
        delta,
      })
    );
  }

  private image(image: unknown): string {
    const item = imageItem(this.ids, image);
    if (!item) {
      return '';
    }
    const out = this.close();
    const index = this.output.length;
    return (
      out +
      this.event('response.output_item.added', {
        output_index: index,
        item: Object.assign({}, item, { status: 'in_progress', result: null }),
      }) +
      this.itemDone(item)
    );
  }

  /** Ends the open item, if any, with its `.done` events. */
  private close(): string {
    const open = this.open;
    if (!open) {
      return '';
    }
    this.open = undefined;
    const item = this.itemOf(open, 'completed');
    if (open.kind === 'reasoning') {
      const part = { type: 'reasoning_text', text: open.text };
      return (
        this.event('response.reasoning_text.done', {
          item_id: open.id,
          output_index: open.index,
          content_index: 0,
          text: open.text,
        }) +
        this.event('response.content_part.done', {
          item_id: open.id,
          output_index: open.index,
          content_index: 0,
          part,
        }) +
        this.itemDone(item)
      );
    }
    if (open.kind === 'message') {
      // The text is serialised once for its three events (and the response's output after them).
      const text = JSON.stringify(open.text);
      const part = `{"type":"output_text","text":${text},"annotations":[],"logprobs":[]}`;
      const where = `"item_id":"${open.id}","output_index":${open.index},"content_index":0`;
      return (
        `event: response.output_text.done\ndata: {"type":"response.output_text.done",` +
        `"sequence_number":${this.seq++},${where},"text":${text},"logprobs":[]}\n\n` +
        `event: response.content_part.done\ndata: {"type":"response.content_part.done",` +
        `"sequence_number":${this.seq++},${where},"part":${part}}\n\n` +
        this.itemDone(
          item,
          `{"type":"message","id":"${open.id}","status":"completed","role":"assistant","content":[${part}]}`,
        )
      );
    }
    return (
      this.event('response.function_call_arguments.done', {
        item_id: open.id,
        output_index: open.index,
        name: open.name,
        arguments: open.args,
      }) + this.itemDone(item)
    );
  }

  private openItem(status: 'in_progress' | 'incomplete'): OutputItem {
    return this.itemOf(this.open as Open, status);
  }

  private itemOf(open: Open, status: 'in_progress' | 'completed' | 'incomplete'): OutputItem {
    if (open.kind === 'reasoning') {
      return reasoningItem(open.id, open.text, status);
    }
    if (open.kind === 'message') {
      const item = messageItem(open.id, open.text, status);
      if (status !== 'in_progress') {
        item.content = [outputText(open.text)];
      }
      return item;
    }
    return {
      type: 'function_call',
      id: open.id,
      call_id: open.callId,
      name: open.name,
      arguments: status === 'in_progress' ? '' : open.args,
      status,
    };
  }

  /** An item's `output_item.done`: the item joins the output, its JSON kept for the response. */
  private itemDone(item: OutputItem, json = JSON.stringify(item)): string {
    const index = this.output.length;
    this.output.push(item);
    this.outputJson.push(json);
    const seq = this.seq++;
    return (
      `event: response.output_item.done\ndata: {"type":"response.output_item.done",` +
      `"sequence_number":${seq},"output_index":${index},"item":${json}}\n\n`
    );
  }

  private lifecycle(type: string, response: string): string {
    const data = `{"type":"${type}","sequence_number":${this.seq++},"response":${response}}`;
    return `event: ${type}\ndata: ${data}\n\n`;
  }

  /** `{type, sequence_number, ...fields}` as JSON, written around the fields' own JSON (no copy of them). */
  private event(type: string, fields: Record<string, unknown>): string {
    const data = `{"type":"${type}","sequence_number":${this.seq++},${JSON.stringify(fields).slice(1)}`;
    return `event: ${type}\ndata: ${data}\n\n`;
  }
}
