import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod, type Type } from '@nestjs/common';
import { ApiKeyMiddleware } from '@app/auth';
import { BODY_FORMS, BodyMiddleware, type FormRoute } from '@app/chat';
import { DrainMiddleware } from '@app/health';
import { LimitsMiddleware, OverloadGate } from '@app/limits';
import { IMAGE_EDIT_FORM } from '@app/openai-api';
import { TelemetryMiddleware } from '@app/telemetry';

/** A stage of the request path: a Nest middleware provider, which stays the one instance used. */
export interface Stage {
  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): unknown;
}

/** Which requests a stage runs on. */
export type StageScope = 'every request' | 'api' | 'body';

/** A route as Nest's `forRoutes()` takes it. */
export interface Route {
  path: string;
  method: RequestMethod;
}

/** A route whose body the gateway reads itself: JSON, and OpenAI's upload form where it has `form`. */
export interface BodyRoute extends Route {
  form?: FormRoute;
}

/** The routes whose body the gateway reads itself (bounded, checked before it is read). */
export const BODY_ROUTES: readonly BodyRoute[] = [
  { path: 'v1/chat/completions', method: RequestMethod.POST },
  { path: 'v1/responses', method: RequestMethod.POST },
  { path: 'v1/images/generations', method: RequestMethod.POST },
  { path: 'v1/images/edits', method: RequestMethod.POST, form: IMAGE_EDIT_FORM },
];

/** The body stage's form routes, by request path: what {@link BODY_FORMS} provides. */
export const BODY_FORMS_PROVIDER = {
  provide: BODY_FORMS,
  useValue: new Map(
    BODY_ROUTES.flatMap(({ path, form }) => (form ? [[`/${path}`, form] as const] : [])),
  ) as ReadonlyMap<string, FormRoute>,
};

/**
 * The request path, in order, declared once. Nest's route table applies it (AppModule) and the
 * chat front door composes the same instances directly; a new stage is one line here. Stages keep
 * any state they share across requests in the provider instance, so both paths see one state.
 */
export const REQUEST_PIPELINE: ReadonlyArray<{ stage: Type<Stage>; on: StageScope }> = [
  { stage: TelemetryMiddleware, on: 'every request' },
  { stage: DrainMiddleware, on: 'every request' },
  // Before auth and before any body byte: in-flight requests and body bytes held, process-wide.
  { stage: OverloadGate, on: 'body' },
  { stage: ApiKeyMiddleware, on: 'api' },
  // The key's request rate and concurrency (and a spent token budget), before its body is read.
  { stage: LimitsMiddleware, on: 'body' },
  // JSON, or a declared form route's multipart/form-data read into the same JSON body.
  { stage: BodyMiddleware, on: 'body' },
];

/** The `forRoutes()` arguments of a scope. */
export function routesOf(scope: StageScope): Array<string | Route> {
  switch (scope) {
    case 'every request':
      return ['{*path}'];
    case 'api':
      return ['v1/{*path}'];
    case 'body':
      return BODY_ROUTES.map(({ path, method }) => ({ path, method }));
  }
}
