/** The parts of a Responses API request the gateway reads (validated against the schema first). */
export interface ResponsesRequest {
  model: string;
  input: string | ResponsesInputItem[];
  instructions?: string | null;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean | null;
  text?: { format?: TextFormat; verbosity?: string | null };
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  reasoning?: { effort?: string | null } | null;
  metadata?: Record<string, string> | null;
  stream?: boolean | null;
  store?: boolean | null;
  user?: string;
  safety_identifier?: string;
  prompt_cache_key?: string;
  service_tier?: string | null;
  [field: string]: unknown;
}

export type TextPart =
  | { type: 'input_text'; text: string }
  | { type: 'output_text'; text: string }
  | { type: 'refusal'; refusal: string };

export type InputPart = TextPart | { type: 'input_image'; image_url: string; detail?: string };

export type ResponsesInputItem =
  | {
      type: 'message';
      role: 'user' | 'assistant' | 'system' | 'developer';
      content: string | InputPart[];
    }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string | TextPart[] }
  | { type: 'reasoning' };

export interface FunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; name: string }
  | {
      type: 'allowed_tools';
      mode: 'auto' | 'required';
      tools: { type: 'function'; name: string }[];
    };

export type TextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      name: string;
      schema: Record<string, unknown>;
      description?: string | null;
      strict?: boolean | null;
    };

/** What the response echoes of its request (OpenAI's Response object repeats these). */
export interface ResponseEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  temperature: number | null;
  top_p: number | null;
  tool_choice: ToolChoice;
  tools: FunctionTool[];
  text: { format: TextFormat; verbosity?: string | null };
  reasoning: { effort: string | null; summary: null };
  user?: string;
}

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: never[];
  logprobs: never[];
}

/** The model's thinking as text (`reasoning_content` / `reasoning` of a chat answer). */
export interface ReasoningText {
  type: 'reasoning_text';
  text: string;
}

export type OutputItem =
  | {
      type: 'reasoning';
      id: string;
      status: 'in_progress' | 'completed' | 'incomplete';
      summary: never[];
      content: ReasoningText[];
    }
  | {
      type: 'message';
      id: string;
      status: 'in_progress' | 'completed' | 'incomplete';
      role: 'assistant';
      content: OutputText[];
    }
  | {
      type: 'function_call';
      id: string;
      call_id: string;
      name: string;
      arguments: string;
      status: 'in_progress' | 'completed' | 'incomplete';
    }
  | {
      type: 'image_generation_call';
      id: string;
      status: 'in_progress' | 'completed';
      result: string | null;
      output_format?: string;
    };

/** OpenAI's Response object, as the gateway fills it. */
export interface ResponseObject extends ResponseEcho {
  id: string;
  object: 'response';
  created_at: number;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  output: OutputItem[];
  usage: ResponseUsage | null;
  store: false;
  background: false;
  truncation: 'disabled';
  previous_response_id: null;
  service_tier: string;
}
