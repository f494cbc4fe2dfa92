import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { ApiKeyMiddleware } from '@app/auth';
import { ChatService, chatCallOf, JsonBodyMiddleware, validateChatRequest } from '@app/chat';
import { GatewayError, InternalError, sendFailure } from '@app/contracts';
import { DrainMiddleware } from '@app/health';
import { AccessLogMiddleware, RequestIdMiddleware } from '@app/observability';

interface Middleware {
  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): unknown;
}

type ChatRequest = IncomingMessage & { body: unknown };

const PATH = '/v1/chat/completions';

/**
 * Serves `POST /v1/chat/completions` ahead of Express: the very middleware instances, validation
 * and service that Nest's route for it runs, in the same order, composed directly. Express's router
 * and Nest's per-route execution cost the gateway about two thirds of its CPU per request
 * (`npm run bench`); every other request, including other spellings of this path, goes to Express.
 */
export class ChatFrontDoor {
  constructor(
    private readonly chain: readonly Middleware[],
    private readonly chat: ChatService,
  ) {}

  /** The same pieces as the modules' `configure()` apply to the route, in their order. */
  static from(app: INestApplication): ChatFrontDoor {
    return new ChatFrontDoor(
      [
        app.get(RequestIdMiddleware),
        app.get(AccessLogMiddleware),
        app.get(DrainMiddleware),
        app.get(ApiKeyMiddleware),
        app.get(JsonBodyMiddleware),
      ],
      app.get(ChatService),
    );
  }

  /** A request listener that takes the chat route and hands everything else to `rest`. */
  listener(rest: RequestListener): RequestListener {
    return (req, res) => {
      if (req.method === 'POST' && isChatPath(req.url)) {
        this.serve(req, res);
      } else {
        rest(req, res);
      }
    };
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    let index = 0;
    const next = (error?: unknown): void => {
      if (error !== undefined) {
        this.fail(res, error);
        return;
      }
      const middleware = this.chain[index++];
      try {
        const pending = middleware ? middleware.use(req, res, next) : this.complete(req, res);
        if (pending instanceof Promise) {
          pending.catch((err: unknown) => this.fail(res, err));
        }
      } catch (err) {
        this.fail(res, err);
      }
    };
    next();
  }

  private complete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.chat.complete(chatCallOf(req), validateChatRequest((req as ChatRequest).body), res);
  }

  private fail(res: ServerResponse, error: unknown): void {
    sendFailure(
      res,
      `POST ${PATH}`,
      error,
      error instanceof GatewayError ? error : new InternalError(),
    );
  }
}

function isChatPath(url: string | undefined): boolean {
  return url === PATH || (url !== undefined && url.startsWith(`${PATH}?`));
}
