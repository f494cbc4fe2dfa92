import type { ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { stringify as stringifyYaml } from 'yaml';
import { chatRequestExamples, chatResponseExamples } from '@app/chat';
import { GATEWAY_CONFIG, type GatewayConfig } from '@app/config';
import {
  addComponentSchemas,
  CHAT_REQUEST_SCHEMA_NAME,
  CHAT_STREAM_EVENT_SCHEMAS,
  CREATE_CHAT_COMPLETION_REQUEST_SCHEMA,
  polishOpenApiDocument,
  toComponentSchemas,
  type JsonSchema,
  type OpenApiDocument,
} from '@app/contracts';
import { HEALTH_CHECK_RESULT_SCHEMA, HEALTH_SCHEMA_NAME } from '@app/health';
import {
  CREATE_RESPONSE_REQUEST_SCHEMA,
  IMAGE_EDIT_SCHEMA,
  IMAGE_EDIT_SCHEMA_NAME,
  IMAGE_GENERATION_SCHEMA,
  IMAGE_GENERATION_SCHEMA_NAME,
  RESPONSE_STREAM_EVENT_SCHEMA,
  RESPONSE_STREAM_EVENT_SCHEMA_NAME,
  RESPONSES_REQUEST_SCHEMA_NAME,
} from '@app/openai-api';
import { BODY_ROUTES } from './request-pipeline';

/**
 * The request schemas the gateway validates with, by their OpenAPI name. Each is published as is
 * (its `$defs` become sibling component schemas), so the document and the validation cannot
 * drift. A route adds its own here and references it with `@ApiBody({ schema: { $ref } })`.
 */
const REQUEST_SCHEMAS: Record<string, JsonSchema> = {
  [CHAT_REQUEST_SCHEMA_NAME]: CREATE_CHAT_COMPLETION_REQUEST_SCHEMA,
  [RESPONSES_REQUEST_SCHEMA_NAME]: CREATE_RESPONSE_REQUEST_SCHEMA,
  [IMAGE_GENERATION_SCHEMA_NAME]: IMAGE_GENERATION_SCHEMA,
  [IMAGE_EDIT_SCHEMA_NAME]: IMAGE_EDIT_SCHEMA,
};

/**
 * Answers written as JSON Schema documents, published the same way: the Responses API's `Response`
 * and its stream events (which `responses-stream.spec.ts` checks the stream against).
 */
const ANSWER_SCHEMAS: Record<string, JsonSchema> = {
  [RESPONSE_STREAM_EVENT_SCHEMA_NAME]: RESPONSE_STREAM_EVENT_SCHEMA,
};

/** Other component schemas written as JSON Schema (responses the DTOs do not describe). */
const RESPONSE_SCHEMAS: Record<string, JsonSchema> = {
  [HEALTH_SCHEMA_NAME]: HEALTH_CHECK_RESULT_SCHEMA,
  ...CHAT_STREAM_EVENT_SCHEMAS,
};

const TAGS: Record<string, string> = {
  chat: 'OpenAI-compatible chat completions, JSON or server-sent events.',
  responses: 'The OpenAI Responses API, stateless, on the same routing as chat.',
  images: 'OpenAI-compatible image generation and edits, on the image-output aliases.',
  catalog: 'The model catalog: aliases, constraints, routing and live backend status.',
  limits: "The calling key's limits and usage.",
  health: 'Kubernetes probes. No authentication.',
};

/** The OpenAPI 3.1 document enterprise teams generate clients from. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('DGX LLM Chat Gateway')
    .setDescription(
      'OpenAI-compatible chat gateway for the DGX Spark: model catalog with per-model constraints, ' +
        'fallback routing across local vLLM and cloud backends, and Kubernetes probes. ' +
        'Every `/v1` error uses the OpenAI envelope `{"error":{"message","type","param","code"}}`. ' +
        'The document is also served at `/openapi.json` and `/openapi.yaml`.',
    )
    .setVersion('1.0.0')
    .setLicense('UNLICENSED', 'https://choosealicense.com/no-permission/')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'A gateway client key (an opaque token from GATEWAY_API_KEYS or the keys file).',
    })
    .addServer(
      '.',
      'This gateway, relative to where this document is served (works behind a path prefix).',
    )
    .build();
  const created = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) => `${method}${controller.replace(/Controller$/, '')}`,
  });
  const document = polishOpenApiDocument(created as unknown as OpenApiDocument, TAGS);
  const schemas = ((document.components ??= {}).schemas ??= {});
  for (const [name, schema] of Object.entries({ ...REQUEST_SCHEMAS, ...ANSWER_SCHEMAS })) {
    addComponentSchemas(schemas, toComponentSchemas(name, schema));
  }
  addComponentSchemas(schemas, RESPONSE_SCHEMAS);
  const forms = publishForms(document, schemas);
  const models = app.get<GatewayConfig>(GATEWAY_CONFIG).models;
  publishAliases(
    schemas,
    [...Object.keys(REQUEST_SCHEMAS), ...forms],
    models.map((m) => m.alias),
  );
  const chat = document.paths['/v1/chat/completions']?.post as
    { requestBody?: { content: Record<string, { examples?: unknown }> } } | undefined;
  const chatJson = chat?.requestBody?.content['application/json'];
  if (chatJson) {
    chatJson.examples = chatRequestExamples(models);
  }
  const chatOk = (
    document.paths['/v1/chat/completions']?.post as Record<string, unknown> | undefined
  )?.responses as Record<string, { content?: Record<string, { examples?: unknown }> }> | undefined;
  const okJson = chatOk?.['200']?.content?.['application/json'];
  if (okJson) {
    okJson.examples = chatResponseExamples(models);
  }
  return document as unknown as OpenAPIObject;
}

/**
 * Each form route of the request pipeline also takes `multipart/form-data`: its form schema is
 * published beside the JSON body, from the declaration the body stage reads.
 */
function publishForms(document: OpenApiDocument, schemas: Record<string, unknown>): string[] {
  const names: string[] = [];
  for (const { path, form } of BODY_ROUTES) {
    if (!form) {
      continue;
    }
    const body = (document.paths[`/${path}`]?.post as { requestBody?: RequestBody } | undefined)
      ?.requestBody;
    if (!body) {
      throw new Error(`The form route /${path} has no request body in the document.`);
    }
    addComponentSchemas(schemas, toComponentSchemas(form.schema.name, form.schema.schema));
    body.content['multipart/form-data'] = {
      schema: { $ref: `#/components/schemas/${form.schema.name}` },
    };
    names.push(form.schema.name);
  }
  return names;
}

interface RequestBody {
  content: Record<string, { schema: unknown }>;
}

/**
 * The loaded catalog's aliases: a `ModelAlias` enum (what `GET /v1/models` lists) and examples on
 * every request's `model` (annotations only: the validated schema is unchanged). `model` itself stays a string: an alias a key may not use is a 404
 * `model_not_found`, and the catalog is per deployment.
 */
function publishAliases(
  schemas: Record<string, unknown>,
  requestSchemas: string[],
  aliases: string[],
): void {
  schemas.ModelAlias = {
    type: 'string',
    enum: aliases,
    description: "The aliases of this gateway's catalog (a key may be limited to some of them).",
  };
  for (const name of requestSchemas) {
    const model = (schemas[name] as { properties?: Record<string, JsonSchema> }).properties?.model;
    if (model) {
      model.examples = aliases;
    }
  }
  const catalogEntry = schemas.ModelCatalogEntry as { properties?: Record<string, unknown> };
  if (catalogEntry?.properties) {
    catalogEntry.properties.alias = { $ref: '#/components/schemas/ModelAlias' };
  }
  const model = schemas.Model as { properties?: Record<string, unknown> };
  if (model?.properties) {
    model.properties.id = { $ref: '#/components/schemas/ModelAlias' };
  }
}

/**
 * Swagger UI at `/docs`; the document at `/openapi.json` and `/openapi.yaml`, and at `/docs-json`
 * and `/docs-yaml` as before. Built once, on first request.
 */
export function mountSwagger(app: INestApplication): void {
  let document: OpenAPIObject | undefined;
  const get = (): OpenAPIObject => (document ??= buildOpenApiDocument(app));
  SwaggerModule.setup('docs', app, get, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'DGX LLM Chat Gateway — API',
  });
  const http = app.getHttpAdapter();
  http.get('/openapi.json', (_req: unknown, res: ServerResponse) => {
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(get()));
  });
  http.get('/openapi.yaml', (_req: unknown, res: ServerResponse) => {
    res.setHeader('content-type', 'text/yaml; charset=utf-8');
    res.end(stringifyYaml(get(), { aliasDuplicateObjects: false }));
  });
}
