import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import {
  addComponentSchemas,
  CHAT_REQUEST_SCHEMA_NAME,
  CREATE_CHAT_COMPLETION_REQUEST_SCHEMA,
  nullableTo31,
  toComponentSchemas,
  type JsonSchema,
} from '@app/contracts';
import {
  CREATE_RESPONSE_REQUEST_SCHEMA,
  IMAGE_EDIT_SCHEMA,
  IMAGE_EDIT_SCHEMA_NAME,
  IMAGE_GENERATION_SCHEMA,
  IMAGE_GENERATION_SCHEMA_NAME,
  RESPONSES_REQUEST_SCHEMA_NAME,
} from '@app/openai-api';

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

/** The OpenAPI 3.1 document enterprise teams generate clients from. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('DGX LLM Chat Gateway')
    .setDescription(
      'OpenAI-compatible chat gateway for the DGX Spark: model catalog with per-model constraints, ' +
        'fallback routing across local vLLM and cloud backends, and Kubernetes probes. ' +
        'Every `/v1` error uses the OpenAI envelope `{"error":{"message","type","param","code"}}`.',
    )
    .setVersion('1.0.0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'A gateway client key (GATEWAY_API_KEYS).',
    })
    .addServer('/', 'This gateway')
    .build();
  const document = nullableTo31(
    SwaggerModule.createDocument(app, config, {
      operationIdFactory: (controller, method) =>
        `${controller.replace(/Controller$/, '')}_${method}`,
    }),
  ) as OpenAPIObject;
  const components = (document.components ??= {});
  const schemas = (components.schemas ??= {});
  for (const [name, schema] of Object.entries(REQUEST_SCHEMAS)) {
    addComponentSchemas(schemas, toComponentSchemas(name, schema));
  }
  return document;
}

export function mountSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'DGX LLM Chat Gateway — API',
  });
}
