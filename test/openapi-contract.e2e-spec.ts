import fc from 'fast-check';
import { parseJsonObject, validateChatRequest } from '@app/chat';
import { GatewayError, PROTOTYPE_KEYS, ROUTING_CONTROL_KEYS } from '@app/contracts';
import { imagesToChat, responsesToChat } from '@app/openai-api';
import type { FakeBackends } from './support/backends';
import { startGatewayOnFakes, stopGatewayOnFakes } from './support/fixture';
import { auth, type RunningGateway } from './support/gateway';
import { arbitraryFor, PublishedSchemas } from './support/schema-arbitrary';

/**
 * Every published request schema and the gateway's validation of its route agree in both
 * directions: bodies generated from the live document (`/docs-json`) are accepted, and bodies with
 * one mutation are refused with a 400 envelope exactly when the document says they are invalid.
 */
const REQUEST = 'CreateChatCompletionRequest';
const RUNS = Number(process.env.CONTRACT_RUNS ?? 3000);
/** The other routes' schemas are smaller: fewer runs cover them. */
const ROUTE_RUNS = Math.ceil(RUNS / 2);
const HTTP_SAMPLES = 30;
/** Most runs per drifted document (a run stops at the first disagreement, usually within a few hundred); seeded. */
const DRIFT_RUNS = 5000;

type Json = unknown;
type Path = Array<string | number>;

/** A route with a body, by its published schema: how the gateway reads and validates it. */
interface Route {
  schema: string;
  path: string;
  /**
   * Everything the route does with a body before routing (validation, translation); returns the
   * chat messages the backend gets.
   */
  validate: (body: Record<string, unknown>) => unknown;
  /** An alias that takes every input and option of the route, so model rules refuse nothing. */
  model: string;
  samples: number;
}

const CHAT: Route = {
  schema: REQUEST,
  path: '/v1/chat/completions',
  validate: (body) => validateChatRequest(body).messages,
  model: 'gemini-3.1-pro',
  samples: HTTP_SAMPLES,
};
const images = (kind: 'generation' | 'edit', schema: string, path: string): Route => ({
  schema,
  path,
  validate: (body) => imagesToChat(body, kind).chat.messages,
  model: 'nano-banana',
  samples: HTTP_SAMPLES / 3,
});
const OTHER_ROUTES: Route[] = [
  {
    schema: 'CreateResponseRequest',
    path: '/v1/responses',
    validate: (body) => responsesToChat(body).chat.messages,
    model: 'gemini-3.1-pro',
    samples: HTTP_SAMPLES / 3,
  },
  images('generation', 'CreateImageRequest', '/v1/images/generations'),
  images('edit', 'CreateImageEditRequest', '/v1/images/edits'),
];

/** What the gateway does with a body sent as JSON text: the body reader, then the route's validation. */
function gatewayVerdict(body: Json, route: Route = CHAT): GatewayError | null {
  try {
    route.validate(parseJsonObject(Buffer.from(JSON.stringify(body))));
    return null;
  } catch (err) {
    if (err instanceof GatewayError) {
      return err;
    }
    throw err;
  }
}

/** Every location in a JSON value, root first. */
function locations(value: Json, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(value)) {
    value.forEach((item, i) => locations(item, [...path, i], out));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      locations(child, [...path, key], out);
    }
  }
  return out;
}

function at(root: Json, path: Path): Json {
  return path.reduce<Json>((node, key) => (node as Record<string | number, Json>)[key], root);
}

function formatPath(path: Path): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? key : `${out}.${key}`),
    '',
  );
}

const REPLACEMENTS: Json[] = [
  null,
  true,
  0,
  -1,
  1.5,
  3,
  2 ** 53,
  1e7,
  '',
  'x'.repeat(300),
  'bogus',
  'http://169.254.169.254/latest',
  'data:image/svg+xml;base64,PHN2Zz4=',
  [],
  [null],
  {},
  { type: 'bogus' },
];

interface Mutation {
  body: Json;
  /** Where the mutation happened (the parent of a removed or added key). */
  near: string;
  what: string;
}

/** One mutation of `body` at one location: replace a value, drop a key, add a key, grow or empty an array. */
function mutate(body: Json, pick: number, choice: number): Mutation {
  const copy = structuredClone(body) as Record<string, Json>;
  const paths = locations(copy);
  const path = paths[pick % paths.length];
  const node = at(copy, path);
  const parentPath = path.slice(0, -1);
  const parent = path.length > 0 ? (at(copy, parentPath) as Record<string | number, Json>) : null;
  const key = path[path.length - 1];
  const ops: Array<() => Mutation> = [];
  if (parent !== null && typeof node === 'number') {
    // Just past a bound: max + 1, min - 1, a fraction for an integer, the other sign.
    const nearby = [node + 1, node - 1, node + 0.5, -node - 1, node * 2 + 1];
    const value = nearby[choice % nearby.length];
    const place = {
      body: copy,
      near: formatPath(parentPath),
      what: `${formatPath(path)} = ${value}`,
    };
    ops.push(
      () => ((parent[key] = value), place),
      () => ((parent[key] = value), place),
    );
  }
  if (parent !== null && typeof node === 'string') {
    ops.push(() => {
      parent[key] = `${node}${'x'.repeat(1 + (choice % 300))}`;
      return { body: copy, near: formatPath(parentPath), what: `${formatPath(path)} made longer` };
    });
  }
  if (parent !== null) {
    ops.push(() => {
      const value = REPLACEMENTS[choice % REPLACEMENTS.length];
      parent[key] = structuredClone(value);
      return {
        body: copy,
        near: formatPath(parentPath),
        what: `${formatPath(path)} = ${JSON.stringify(value).slice(0, 40)}`,
      };
    });
  }
  if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
    const record = node as Record<string, Json>;
    const keys = Object.keys(record);
    if (keys.length > 0) {
      ops.push(() => {
        const removed = keys[choice % keys.length];
        delete record[removed];
        return {
          body: copy,
          near: formatPath(path),
          what: `delete ${formatPath([...path, removed])}`,
        };
      });
    }
    ops.push(() => {
      const forbidden = [
        ...ROUTING_CONTROL_KEYS,
        ...PROTOTYPE_KEYS.filter((k) => k !== '__proto__'),
      ];
      const added = forbidden[choice % forbidden.length];
      Object.defineProperty(record, added, {
        value: 'x',
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return { body: copy, near: formatPath(path), what: `add ${formatPath([...path, added])}` };
    });
  }
  if (Array.isArray(node)) {
    ops.push(() => {
      node.length = 0;
      return { body: copy, near: formatPath(parentPath), what: `empty ${formatPath(path)}` };
    });
  }
  return ops[choice % ops.length]();
}

/** The param names the mutated place, something inside it, or its parent's subtree. */
function pointsNear(param: string | null, near: string): boolean {
  return param === null || near === '' || param === near || param.startsWith(near);
}

type Doc = { components: { schemas: Record<string, Record<string, unknown>> } };

function schemaOf(document: Doc, name: string): Record<string, unknown> {
  return document.components.schemas[name];
}

function prop(document: Doc, name: string, property: string): Record<string, unknown> {
  return (schemaOf(document, name).properties as Record<string, Record<string, unknown>>)[property];
}

/** Direction 1: whatever the document accepts, the gateway accepts. */
function acceptsGenerated(
  published: PublishedSchemas,
  route: Route = CHAT,
): fc.IPropertyWithHooks<[Json]> {
  const validate = published.validator(route.schema);
  return fc.property(arbitraryFor(published, route.schema), (body) => {
    // The generator reads the document alone; the document's own validator confirms it.
    expect(validate(body)).toBe(true);
    const error = gatewayVerdict(body, route);
    expect({ body, error: error === null ? null : error.toBody() }).toEqual({ body, error: null });
  });
}

/** Direction 2: a body one mutation away is refused, with a 400 envelope, exactly when the document refuses it. */
function agreesOnMutations(
  published: PublishedSchemas,
  tally: { refused: number },
  route: Route = CHAT,
): fc.IPropertyWithHooks<[Json, number, number]> {
  const validate = published.validator(route.schema);
  const bodies = arbitraryFor(published, route.schema);
  return fc.property(bodies, fc.nat(), fc.nat(), (body, pick, choice) => {
    const mutation = mutate(body, pick, choice);
    const error = gatewayVerdict(mutation.body, route);
    expect({ what: mutation.what, accepted: error === null }).toEqual({
      what: mutation.what,
      accepted: validate(mutation.body),
    });
    if (error !== null) {
      tally.refused++;
      expect(error.status).toBe(400);
      expect(error.toBody().error).toEqual({
        message: expect.any(String),
        type: 'invalid_request_error',
        param: error.param,
        code: expect.stringMatching(/^[a-z_]+$/),
      });
      expect({
        what: mutation.what,
        param: error.param,
        near: pointsNear(error.param, mutation.near),
      }).toEqual({
        what: mutation.what,
        param: error.param,
        near: true,
      });
    }
  });
}

describe('the published request schema and the gateway agree (property-based, e2e)', () => {
  let fakes: FakeBackends;
  let gw: RunningGateway;
  let published: PublishedSchemas;

  beforeAll(async () => {
    ({ fakes, gw } = await startGatewayOnFakes());
    const res = await fetch(`${gw.url}/docs-json`);
    published = new PublishedSchemas((await res.json()) as never);
  });
  afterAll(() => stopGatewayOnFakes({ gw, fakes }));

  it(`accepts every body generated from the published schema (${RUNS} bodies)`, () => {
    fc.assert(acceptsGenerated(published), { numRuns: RUNS });
  });

  it(`refuses a mutated body with a 400 envelope exactly when the document does (${RUNS} mutations)`, () => {
    const tally = { refused: 0 };
    fc.assert(agreesOnMutations(published, tally), { numRuns: RUNS });
    // Many single mutations break a rule (about half); the rest (a vendor field, a value still in
    // range) must pass.
    expect(tally.refused).toBeGreaterThan(RUNS / 4);
    expect(tally.refused).toBeLessThan(RUNS);
  });

  describe.each(OTHER_ROUTES)('$schema ($path)', (route) => {
    it(`accepts every body generated from the published schema (${ROUTE_RUNS} bodies)`, () => {
      fc.assert(acceptsGenerated(published, route), { numRuns: ROUTE_RUNS });
    });

    it(`refuses a mutated body with a 400 envelope exactly when the document does (${ROUTE_RUNS} mutations)`, () => {
      const tally = { refused: 0 };
      fc.assert(agreesOnMutations(published, tally, route), { numRuns: ROUTE_RUNS });
      expect(tally.refused).toBeGreaterThan(ROUTE_RUNS / 4);
      expect(tally.refused).toBeLessThan(ROUTE_RUNS);
    });
  });

  it.each([
    [
      'loosened: max_tokens from 0',
      'direction 1',
      (d: Doc) => (prop(d, REQUEST, 'max_tokens').minimum = 0),
    ],
    [
      'loosened: a tool message without tool_call_id',
      'direction 1',
      (d: Doc) => (schemaOf(d, 'ChatCompletionRequestToolMessage').required = ['role', 'content']),
    ],
    [
      'loosened: an image URL of any kind',
      'direction 1',
      (d: Doc) => {
        const image = prop(d, 'ChatCompletionRequestMessageContentPartImage', 'image_url');
        (image.properties as Record<string, unknown>).url = { type: 'string' };
      },
    ],
    [
      'loosened: stream_options without stream: true',
      'direction 1',
      (d: Doc) => delete schemaOf(d, REQUEST).anyOf,
    ],
    [
      'loosened: a stored Responses request (store: true)',
      'direction 1',
      (d: Doc) => (prop(d, 'CreateResponseRequest', 'store').enum = [true, false, null]),
      OTHER_ROUTES[0],
    ],
    [
      'loosened: a Responses input_image without image_url',
      'direction 1',
      (d: Doc) => (schemaOf(d, 'ResponseInputImage').required = ['type']),
      OTHER_ROUTES[0],
    ],
    [
      'loosened: up to 10 images per request',
      'direction 1',
      (d: Doc) => delete prop(d, 'CreateImageRequest', 'n').allOf,
      OTHER_ROUTES[1],
    ],
    [
      'tightened: model at most 10 characters',
      'direction 2',
      (d: Doc) => (prop(d, REQUEST, 'model').maxLength = 10),
    ],
    [
      'tightened: an image edit prompt of at most 10 characters',
      'direction 2',
      (d: Doc) => (prop(d, 'CreateImageEditRequest', 'prompt').maxLength = 10),
      OTHER_ROUTES[2],
    ],
    [
      'tightened: temperature at most 1',
      'direction 2',
      (d: Doc) => (prop(d, REQUEST, 'temperature').maximum = 1),
    ],
  ] as Array<[string, string, (d: Doc) => unknown, Route?]>)(
    'catches a document that drifted from the validation (%s)',
    (_case, direction, drift, route = CHAT) => {
      const document = structuredClone<Doc>(published.document);
      drift(document);
      const drifted = new PublishedSchemas(document);
      // A loosened document is caught by direction 1 (it generates what the gateway refuses), a
      // tightened one by direction 2 (it refuses what the gateway accepts).
      const caught =
        direction === 'direction 1'
          ? fc.check(acceptsGenerated(drifted, route), { numRuns: DRIFT_RUNS, seed: 7 })
          : fc.check(agreesOnMutations(drifted, { refused: 0 }, route), {
              numRuns: DRIFT_RUNS,
              seed: 7,
            });
      expect(caught.failed).toBe(true);
    },
  );

  describe.each([CHAT, ...OTHER_ROUTES])('over HTTP: $path', (route) => {
    it('answers 200 for generated bodies, and the backend gets their messages', async () => {
      const bodies = fc.sample(
        arbitraryFor(published, route.schema, {
          rootOverrides: { model: fc.constant(route.model) },
        }),
        { numRuns: route.samples, seed: 14 },
      ) as Array<Record<string, Json>>;
      for (const body of bodies) {
        const before = fakes.openrouter.chatRequests().length;
        const res = await fetch(`${gw.url}${route.path}`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        expect({ status: res.status, text: res.status === 200 ? '' : text, body }).toEqual({
          status: 200,
          text: '',
          body,
        });
        const sent = fakes.openrouter.chatRequests().slice(before);
        expect(sent).toHaveLength(1);
        expect((sent[0].body as Record<string, Json>).messages).toEqual(
          JSON.parse(JSON.stringify(route.validate(structuredClone(body)))),
        );
      }
    });

    it('answers 400 for mutated bodies the document refuses, and forwards none', async () => {
      const validate = published.validator(route.schema);
      const mutated = fc
        .sample(fc.tuple(arbitraryFor(published, route.schema), fc.nat(), fc.nat()), {
          numRuns: route.samples * 3,
          seed: 41,
        })
        .map(([body, pick, choice]) => mutate(body, pick, choice))
        .filter((m) => !validate(m.body))
        .slice(0, route.samples);
      expect(mutated.length).toBeGreaterThan(route.samples / 2);
      const before = fakes.all().reduce((n, s) => n + s.chatRequests().length, 0);
      for (const mutation of mutated) {
        const res = await fetch(`${gw.url}${route.path}`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(mutation.body),
        });
        const json = (await res.json()) as { error: { code: string; param: string | null } };
        expect({ what: mutation.what, status: res.status }).toEqual({
          what: mutation.what,
          status: 400,
        });
        expect(json.error.code).toMatch(/^[a-z_]+$/);
      }
      expect(fakes.all().reduce((n, s) => n + s.chatRequests().length, 0)).toBe(before);
    });
  });
});
