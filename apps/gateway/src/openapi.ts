import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** The OpenAPI 3 document enterprise teams generate clients from. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
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
  return SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) =>
      `${controller.replace(/Controller$/, '')}_${method}`,
  });
}

export function mountSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'DGX LLM Chat Gateway — API',
  });
}
