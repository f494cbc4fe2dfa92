import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { ChatService, chatCallOf, validateChatRequest, type ChatCall } from '@app/chat';
import { GatewayError, InternalError, sendFailure } from '@app/contracts';
import { ImagesService, ResponsesService } from '@app/openai-api';
import { BODY_ROUTES, REQUEST_PIPELINE, type Stage } from './request-pipeline';

type BodyRequest = IncomingMessage & { body: unknown };

/** What a hot route does once the pipeline has passed: the body is parsed, the caller known. */
export type HotRoute = (call: ChatCall, body: unknown, res: ServerResponse) => Promise<void>;

const CHAT_PATH = '/v1/chat/completions';

/**
 * Serves the hot `POST` routes ahead of Express: the stages of {@link REQUEST_PIPELINE} (the very
 * instances Nest's routes run, in the same order), then the route's handler — the service its Nest
 * controller calls — composed directly. Express's router and Nest's per-route execution cost the
 * gateway about two thirds of its CPU per request (`npm run bench`). One chain serves every hot
 * route; a route adds only its handler. Every other request, including other spellings of these
 * paths, goes to Express, where the same routes exist as Nest controllers.
 */
export class ChatFrontDoor {
  private readonly chatRoute: HotRoute;

  constructor(
    private readonly chain: readonly Stage[],
    chat: ChatService,
    private readonly routes: ReadonlyMap<string, HotRoute> = new Map(),
  ) {
    this.chatRoute = (call, body, res) => chat.complete(call, validateChatRequest(body), res);
  }

  /** Every stage of the pipeline applies to the hot routes (API routes whose body the gateway reads). */
  static from(app: INestApplication): ChatFrontDoor {
    const responses = app.get(ResponsesService, { strict: false });
    const images = app.get(ImagesService, { strict: false });
    const routes = new Map<string, HotRoute>([
      ['/v1/responses', (call, body, res) => responses.create(call, body, res)],
      ['/v1/images/generations', (call, body, res) => images.create('generation', call, body, res)],
      ['/v1/images/edits', (call, body, res) => images.create('edit', call, body, res)],
    ]);
    for (const path of [CHAT_PATH, ...routes.keys()]) {
      const readsBody = BODY_ROUTES.some(
        (route) => route.method === RequestMethod.POST && `/${route.path}` === path,
      );
      if (!readsBody) {
        throw new Error(`${path} must be one of the pipeline's BODY_ROUTES`);
      }
    }
    return new ChatFrontDoor(
      REQUEST_PIPELINE.map(({ stage }) => app.get(stage, { strict: false })),
      app.get(ChatService),
      routes,
    );
  }

  /** A request listener that takes the hot routes and hands everything else to `rest`. */
  listener(rest: RequestListener): RequestListener {
    return (req, res) => {
      const route = req.method === 'POST' ? this.routeOf(req.url) : undefined;
      if (route) {
        this.serve(req, res, route);
      } else {
        rest(req, res);
      }
    };
  }

  private routeOf(url: string | undefined): HotRoute | undefined {
    if (url === undefined) {
      return undefined;
    }
    if (url === CHAT_PATH || url.startsWith(`${CHAT_PATH}?`)) {
      return this.chatRoute;
    }
    const query = url.indexOf('?');
    return this.routes.get(query < 0 ? url : url.slice(0, query));
  }

  private serve(req: IncomingMessage, res: ServerResponse, route: HotRoute): void {
    let index = 0;
    const next = (error?: unknown): void => {
      if (error !== undefined) {
        this.fail(req, res, error);
        return;
      }
      const middleware = this.chain[index++];
      try {
        const pending = middleware
          ? middleware.use(req, res, next)
          : route(chatCallOf(req), (req as BodyRequest).body, res);
        if (pending instanceof Promise) {
          pending.catch((err: unknown) => this.fail(req, res, err));
        }
      } catch (err) {
        this.fail(req, res, err);
      }
    };
    next();
  }

  private fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    sendFailure(
      res,
      `POST ${req.url?.slice(0, 200) ?? ''}`,
      error,
      error instanceof GatewayError ? error : new InternalError(),
    );
  }
}
