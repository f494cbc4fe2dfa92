import type { IncomingMessage } from 'node:http';
import axios from 'axios';
import type { BackendConfig } from '@app/config';
import type { TraceHeaders } from '@app/telemetry';
import { sendUpstream, UpstreamEndpoint } from './upstream-transport';
import type { Cancellation } from '../cancellation';

export interface ChatCallOptions {
  requestId: string;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  signal: Cancellation;
  /** W3C trace headers for this call (`traceparent`, `tracestate`), when the request has a trace. */
  trace?: TraceHeaders;
}

/**
 * An OpenAI-compatible upstream. Subclasses say what differs per kind: how a catalog model id is
 * named upstream, which cheap unbilled endpoint proves it alive, and any extra headers.
 */
export abstract class Backend {
  readonly name: string;
  private readonly chatEndpoint: UpstreamEndpoint;

  constructor(readonly config: BackendConfig) {
    this.name = config.name;
    this.chatEndpoint = new UpstreamEndpoint(`${config.url}/chat/completions`, {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      // Bodies are read under byte caps: a compressed one would inflate past them.
      'accept-encoding': 'identity',
      'user-agent': 'dgx-llm-chat-gateway/1.0',
      ...(config.api_key ? { authorization: `Bearer ${config.api_key}` } : {}),
      ...this.extraHeaders(),
    });
  }

  /** Whether the backend can take traffic at all (a cloud backend without its key cannot). */
  get configured(): boolean {
    return this.config.kind === 'local' || Boolean(this.config.api_key);
  }

  /** The model name this backend expects for a catalog hop's upstream id. */
  upstreamModel(model: string): string {
    return model;
  }

  chat(body: Buffer, options: ChatCallOptions): Promise<IncomingMessage> {
    return sendUpstream({
      method: 'POST',
      endpoint: this.chatEndpoint,
      headers: { 'x-request-id': options.requestId, ...options.trace },
      body,
      connectTimeoutMs: options.connectTimeoutMs,
      headersTimeoutMs: options.headersTimeoutMs,
      signal: options.signal,
    });
  }

  /** A cheap, unbilled liveness check — never a completion. */
  async probe(timeoutMs: number): Promise<boolean> {
    try {
      const res = await axios.get(this.probeUrl(), {
        headers: this.config.api_key ? { authorization: `Bearer ${this.config.api_key}` } : {},
        timeout: timeoutMs,
        validateStatus: () => true,
        responseType: 'text',
        maxRedirects: 0,
      });
      return res.status >= 200 && res.status < 300;
    } catch {
      return false;
    }
  }

  protected abstract probeUrl(): string;

  protected extraHeaders(): Record<string, string> {
    return {};
  }

  /** The base URL without its trailing `/v1`, for servers whose health routes sit at the root. */
  protected origin(): string {
    return this.config.url.replace(/\/v1$/, '');
  }
}
