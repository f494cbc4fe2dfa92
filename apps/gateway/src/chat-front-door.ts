import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { ChatService, chatCallOf, validateChatRequest } from '@app/chat';
import { GatewayError, InternalError, sendFailure } from '@app/contracts';
import { JSON_BODY_ROUTES, REQUEST_PIPELINE, type Stage } from './request-pipeline';

type ChatRequest = IncomingMessage & { body: unknown };

const PATH = '/v1/chat/completions';

/**
 * Serves `POST /v1/chat/completions` ahead of Express: the stages of {@link REQUEST_PIPELINE} (the
 * very instances Nest's route runs, in the same order), then validation and the service, composed
 * directly. Express's router
 * and Nest's per-route execution cost the gateway about two thirds of its CPU per request
 * (`npm run bench`); every other request, including other spellings of this path, goes to Express.
 */
export class ChatFrontDoor {
  constructor(
    private readonly chain: readonly Stage[],
    private readonly chat: ChatService,
  ) {}

  /** Every stage of the pipeline applies to the chat route (it is an API route with a JSON body). */
  static from(app: INestApplication): ChatFrontDoor {
    const chatTakesJson = JSON_BODY_ROUTES.some(
      (route) => route.method === RequestMethod.POST && `/${route.path}` === PATH,
    );
    if (!chatTakesJson) {
      throw new Error(`${PATH} must be one of the pipeline's JSON_BODY_ROUTES`);
    }
    return new ChatFrontDoor(
      REQUEST_PIPELINE.map(({ stage }) => app.get(stage, { strict: false })),
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
