/** A tool call the simulated model decided to make. */
export interface PlannedToolCall {
  id: string;
  name: string;
  /** JSON text, as OpenAI sends it. */
  arguments: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Which tool the model calls, deterministically: none after a tool result (it answers instead),
 * none for `tool_choice: "none"`, the named tool when forced (none if it is not among the tools),
 * else the first tool.
 * Arguments are a value for each property the tool's schema requires.
 */
export function planToolCall(
  body: Record<string, unknown>,
  messages: unknown[],
  userText: string,
  seq: number,
): PlannedToolCall | undefined {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  if (tools.length === 0 || body.tool_choice === 'none') {
    return undefined;
  }
  const last: unknown = messages[messages.length - 1];
  if (isRecord(last) && last.role === 'tool') {
    return undefined;
  }
  const functions = tools
    .map((tool: unknown) => (isRecord(tool) && isRecord(tool.function) ? tool.function : undefined))
    .filter((fn): fn is Record<string, unknown> => fn !== undefined && typeof fn.name === 'string');
  const forced = forcedName(body.tool_choice);
  const fn = forced === undefined ? functions[0] : functions.find((f) => f.name === forced);
  if (!fn) {
    return undefined; // A forced name that is not among the tools: lenient, the model answers.
  }
  const args = valueFor(fn.parameters, userText, 0);
  return {
    id: `call_sim${seq.toString(16).padStart(6, '0')}`,
    name: fn.name as string,
    arguments: JSON.stringify(isRecord(args) ? args : {}),
  };
}

function forcedName(choice: unknown): string | undefined {
  if (!isRecord(choice)) {
    return undefined;
  }
  const fn = choice.function;
  return isRecord(fn) && typeof fn.name === 'string' ? fn.name : undefined;
}

/**
 * The JSON answer for `response_format`: `json_object` → `{"answer": <text>}`; `json_schema` → an
 * object with a value for each required property of the schema. `undefined` for plain text.
 */
export function planJsonAnswer(body: Record<string, unknown>, text: string): string | undefined {
  const format = body.response_format;
  if (!isRecord(format) || format.type === 'text') {
    return undefined;
  }
  if (format.type === 'json_object') {
    return JSON.stringify({ answer: text });
  }
  if (format.type === 'json_schema') {
    const spec = isRecord(format.json_schema) ? format.json_schema : {};
    return JSON.stringify(valueFor(spec.schema, text, 0));
  }
  return undefined; // Another dialect's format: answered as text, like a lenient provider.
}

/** A deterministic value of a JSON schema: strings from the prompt, the first enum value, … */
function valueFor(schema: unknown, text: string, depth: number): unknown {
  if (!isRecord(schema) || depth > 8) {
    return null;
  }
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return schema.enum[0] as unknown;
  }
  const type = Array.isArray(schema.type) ? (schema.type[0] as unknown) : schema.type;
  switch (type) {
    case 'string':
      return lastWord(text);
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'array':
      return [valueFor(schema.items, text, depth + 1)];
    case 'null':
      return null;
    default: {
      const properties = isRecord(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required)
        ? schema.required.filter((k): k is string => typeof k === 'string')
        : Object.keys(properties);
      const out: Record<string, unknown> = {};
      for (const key of required) {
        out[key] = valueFor(properties[key], text, depth + 1);
      }
      return out;
    }
  }
}

function lastWord(text: string): string {
  const words = text.match(/[\p{L}\p{N}_-]+/gu);
  return words ? words[words.length - 1] : 'example';
}
