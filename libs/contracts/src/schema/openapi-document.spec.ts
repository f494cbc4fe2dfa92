import { polishOpenApiDocument, type OpenApiDocument } from './openapi-document';

function nestDocument(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    paths: {
      '/v1/things/{id}': {
        get: {
          operationId: 'Things_get',
          tags: ['things'],
          security: [{ bearer: [] }],
          responses: {
            '200': {
              description: 'ok',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/ThingDto' } },
              },
            } as never,
            '401': { description: 'no key' },
            '503': { description: 'draining' },
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'getLiveness',
          tags: ['health'],
          responses: { '200': { description: 'ok' } },
        },
      },
    },
    components: {
      schemas: {
        ThingDto: { type: 'object', properties: { n: { type: 'string', nullable: true } } },
        Error: { type: 'object', properties: { code: { type: 'string' } } },
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

describe('polishOpenApiDocument', () => {
  const sut = polishOpenApiDocument(nestDocument(), { things: 'Things.' });

  it('drops the Dto suffix from schema names and references, and 3.0 nullable', () => {
    expect(Object.keys(sut.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['Thing', 'Error', 'GatewayErrorCode']),
    );
    expect(JSON.stringify(sut)).not.toMatch(/Dto"|nullable/);
    expect((sut.components?.schemas?.Thing as { properties: unknown }).properties).toEqual({
      n: { type: ['string', 'null'] },
    });
  });

  it('declares the bearer key opaque, the standard headers, 405 everywhere and 500 on secured operations', () => {
    expect(sut.components?.securitySchemes?.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    const op = sut.paths['/v1/things/{id}'].get;
    expect(op.operationId).toBe('getV1ThingsId');
    expect(op.responses['401'].headers).toEqual({
      'x-request-id': { $ref: '#/components/headers/RequestId' },
      'WWW-Authenticate': { $ref: '#/components/headers/WwwAuthenticate' },
    });
    expect(op.responses['503'].headers).toHaveProperty('Retry-After');
    expect(op.responses['405']).toEqual({ $ref: '#/components/responses/MethodNotAllowed' });
    expect(op.responses['500']).toEqual({ $ref: '#/components/responses/InternalError' });
    expect(sut.paths['/healthz'].get.responses).not.toHaveProperty('500');
    expect(sut.paths['/healthz'].get.operationId).toBe('getLiveness');
  });

  it('declares the tags in use, and the error code as the gateway enum or an upstream string', () => {
    expect(sut.tags).toEqual([
      { name: 'health', description: 'The health operations.' },
      { name: 'things', description: 'Things.' },
    ]);
    const error = sut.components?.schemas?.Error as {
      properties: { code: { anyOf: unknown[] } };
    };
    expect(error.properties.code.anyOf[0]).toEqual({
      $ref: '#/components/schemas/GatewayErrorCode',
    });
  });
});
