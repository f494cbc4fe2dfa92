/** A content part of a user message. Unknown part types are refused by validation. */
export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: 'input_audio'; input_audio: { data: string; format: string } }
  | { type: 'video_url'; video_url: { url: string } }
  | { type: 'file'; file: Record<string, unknown> };

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
  content?: string | ContentPart[] | null;
  name?: string;
  tool_call_id?: string;
  tool_calls?: unknown[];
  [vendor: string]: unknown;
}

/**
 * A validated chat completion request. Fields the gateway does not reason about (vendor extras such as
 * `top_k`, `reasoning`, `chat_template_kwargs`) are kept as they came and forwarded unchanged.
 */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean; [k: string]: unknown } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  tools?: unknown[];
  tool_choice?: unknown;
  n?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  modalities?: string[];
  [vendor: string]: unknown;
}
