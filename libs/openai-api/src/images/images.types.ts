/** The Images API request fields the gateway reads (validated against the schema first). */
export interface ImagesRequest {
  model: string;
  prompt: string;
  n?: number | null;
  size?: string | null;
  quality?: string | null;
  output_format?: string | null;
  background?: string | null;
  response_format?: 'b64_json' | 'url' | null;
  stream?: boolean | null;
  user?: string;
  /** Edits only. */
  images?: Array<{ image_url: string }>;
}

export interface ImagesResponse {
  created: number;
  data: Array<{ b64_json: string }>;
  output_format?: string;
  size?: string;
  quality?: string;
  usage?: {
    input_tokens: number;
    input_tokens_details: { text_tokens: number; image_tokens: number };
    output_tokens: number;
    total_tokens: number;
  };
}
