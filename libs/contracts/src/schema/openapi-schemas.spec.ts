import { addComponentSchemas, nullableTo31, toComponentSchemas } from './openapi-schemas';

describe('toComponentSchemas', () => {
  it('publishes the root and each $defs entry, with references rewritten and nothing else changed', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { a: { $ref: '#/$defs/A' }, b: { items: { $ref: '#/$defs/B' } } },
      $defs: { A: { type: 'string', minLength: 1 }, B: { anyOf: [{ $ref: '#/$defs/A' }] } },
    };
    expect(toComponentSchemas('Root', schema)).toEqual({
      Root: {
        type: 'object',
        properties: {
          a: { $ref: '#/components/schemas/A' },
          b: { items: { $ref: '#/components/schemas/B' } },
        },
      },
      A: { type: 'string', minLength: 1 },
      B: { anyOf: [{ $ref: '#/components/schemas/A' }] },
    });
  });

  it('adds discriminator.mapping from each branch tag, every value of an enum tag included', () => {
    const tagged = (tag: Record<string, unknown>): Record<string, unknown> => ({
      type: 'object',
      properties: { type: tag },
      required: ['type'],
    });
    const out = toComponentSchemas('U', {
      discriminator: { propertyName: 'type' },
      oneOf: [{ $ref: '#/$defs/A' }, { $ref: '#/$defs/R' }],
      $defs: { A: tagged({ const: 'a' }), R: tagged({ enum: ['x', 'y'] }) },
    });
    expect(out.U.discriminator).toEqual({
      propertyName: 'type',
      mapping: {
        a: '#/components/schemas/A',
        x: '#/components/schemas/R',
        y: '#/components/schemas/R',
      },
    });
  });
});

describe('addComponentSchemas', () => {
  it('accepts a shared definition twice, and refuses two different ones under one name', () => {
    const target: Record<string, unknown> = {};
    addComponentSchemas(target, { A: { type: 'string' } });
    addComponentSchemas(target, { A: { type: 'string' }, B: { type: 'integer' } });
    expect(Object.keys(target)).toEqual(['A', 'B']);
    expect(() => addComponentSchemas(target, { A: { type: 'number' } })).toThrow(/"A"/);
  });
});

describe('nullableTo31', () => {
  it('turns OpenAPI 3.0 nullable into a type list, or an anyOf with null around a reference', () => {
    expect(
      nullableTo31({
        properties: {
          s: { type: 'string', nullable: true, enum: ['stop', 'length'] },
          r: { $ref: '#/components/schemas/U', nullable: true, description: 'usage' },
          n: { type: 'integer' },
        },
      }),
    ).toEqual({
      properties: {
        s: { type: ['string', 'null'], enum: ['stop', 'length', null] },
        r: { description: 'usage', anyOf: [{ $ref: '#/components/schemas/U' }, { type: 'null' }] },
        n: { type: 'integer' },
      },
    });
  });
});
