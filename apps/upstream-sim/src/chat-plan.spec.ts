import { planChat, type PlanContext } from './chat-plan';
import { isImageModel, isReasoningModel } from './model-kind';
import { SimHttpError } from './sim-http.error';

const ctx: PlanContext = {
  name: 'vllm',
  flavor: 'vllm',
  models: undefined,
  reasoningTokens: 120,
  contextWindow: 1000,
  contextWindows: undefined,
};

const user = (content: unknown, extra: Record<string, unknown> = {}) => ({
  model: 'llama-4-scout',
  messages: [{ role: 'user', content }],
  ...extra,
});

function refusal(body: unknown, c: PlanContext = ctx): SimHttpError {
  try {
    planChat(body, c);
  } catch (err) {
    if (err instanceof SimHttpError) {
      return err;
    }
    throw err;
  }
  throw new Error('planChat accepted the request');
}

describe('model kinds', () => {
  it.each([
    ['openai/gpt-5.5-pro', true],
    ['google/gemini-3.1-pro-preview', true],
    ['qwen3-vl:30b-a3b-thinking', true],
    ['deepseek-reasoner', true],
    ['o3-mini', true],
    ['llama4:scout', false],
    ['anthropic/claude-opus-4.7', false],
    ['google/gemini-3.1-flash-image-preview', false],
  ])('%s reasoning=%s', (model, reasoning) => {
    expect(isReasoningModel(model)).toBe(reasoning);
  });

  it('treats any id containing "image" as an image model', () => {
    expect(isImageModel('openai/gpt-5.4-image-2')).toBe(true);
    expect(isImageModel('gpt-5.5-pro')).toBe(false);
  });
});

describe('planChat', () => {
  it('spends the reasoning budget before any visible token', () => {
    const starved = planChat(user('hi there', { model: 'gpt-5.5-pro', max_tokens: 120 }), ctx);
    expect(starved).toMatchObject({
      tokens: [],
      finishReason: 'length',
      completionTokens: 120,
      reasoningTokens: 120,
    });
    const partial = planChat(user('one two three', { model: 'gpt-5.5-pro', max_tokens: 122 }), ctx);
    expect(partial).toMatchObject({
      tokens: ['You', ' said:'],
      finishReason: 'length',
      completionTokens: 122,
    });
  });

  it('prefers max_completion_tokens over max_tokens', () => {
    const plan = planChat(user('8 words', { max_tokens: 100, max_completion_tokens: 3 }), ctx);
    expect(plan.tokens).toHaveLength(3);
  });

  it('answers exactly N words when asked for N words', () => {
    const plan = planChat(user('Reply with 20 words.'), ctx);
    expect(plan.tokens).toHaveLength(20);
    expect(plan.finishReason).toBe('stop');
  });

  it('counts prompt tokens as chars/4 plus a flat cost per image', () => {
    const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } };
    const plan = planChat(user([{ type: 'text', text: '12345678' }, image]), ctx);
    expect(plan.promptTokens).toBe(2 + 85);
  });

  it.each([['file:///etc/passwd'], ['http://169.254.169.254/latest'], ['ftp://x/y.png']])(
    'refuses non-data image URL %s',
    (url) => {
      const err = refusal(user([{ type: 'image_url', image_url: { url } }]));
      expect([err.status, err.code, err.param]).toEqual([
        400,
        'image_url_not_supported',
        'messages[0].content[0].image_url.url',
      ]);
    },
  );

  it('refuses a data URI that is not base64', () => {
    expect(
      refusal(user([{ type: 'image_url', image_url: { url: 'data:image/png,abc' } }])).code,
    ).toBe('invalid_image');
  });

  it('refuses bad max_tokens, stream and messages with the param', () => {
    expect(refusal(user('x', { max_tokens: 0 })).param).toBe('max_tokens');
    expect(refusal(user('x', { stream: 'true' })).param).toBe('stream');
    expect(refusal({ model: 'm', messages: [] }).param).toBe('messages');
    expect(refusal({ messages: [{ role: 'user', content: 'x' }] }).param).toBe('model');
  });

  it('refuses budgets below 16 for OpenAI models on OpenRouter, as OpenRouter does', () => {
    const or: PlanContext = { ...ctx, flavor: 'openrouter' };
    const err = refusal(user('x', { model: 'openai/gpt-5.4-image-2', max_tokens: 10 }), or);
    expect([err.status, err.code]).toEqual([400, 'integer_below_min_value']);
    expect(
      planChat(user('x', { model: 'openai/gpt-5.4-image-2', max_tokens: 16 }), or).imagePrompt,
    ).toBe('x');
  });
});

describe('planChat: tools and response_format', () => {
  const weather = {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
        required: ['city', 'unit'],
      },
    },
  };
  const clock = {
    type: 'function',
    function: { name: 'get_time', parameters: { type: 'object' } },
  };

  it('calls the first tool with arguments drawn from the prompt', () => {
    const plan = planChat(user('Weather in Paris?', { tools: [weather, clock] }), ctx, 7);
    expect(plan.finishReason).toBe('tool_calls');
    expect(plan.tokens).toEqual([]);
    expect(plan.toolCall).toEqual({
      id: 'call_sim000007',
      name: 'get_weather',
      arguments: '{"city":"Paris","unit":"c"}',
    });
  });

  it('calls the forced tool; none with tool_choice none or a name not among the tools', () => {
    const forced = { type: 'function', function: { name: 'get_time' } };
    expect(
      planChat(user('hi', { tools: [weather, clock], tool_choice: forced }), ctx).toolCall?.name,
    ).toBe('get_time');
    expect(
      planChat(user('hi', { tools: [weather], tool_choice: 'none' }), ctx).toolCall,
    ).toBeUndefined();
    const unknown = { type: 'function', function: { name: 'x' } };
    expect(
      planChat(user('hi', { tools: [weather], tool_choice: unknown }), ctx).toolCall,
    ).toBeUndefined();
  });

  it('answers from the tool result once it is given', () => {
    const plan = planChat(
      {
        model: 'llama-4-scout',
        tools: [weather],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: '21 degrees and sunny' },
        ],
      },
      ctx,
    );
    expect(plan.toolCall).toBeUndefined();
    expect(plan.tokens.join('')).toBe('The tool returned: 21 degrees and sunny');
  });

  it('answers text for a response_format it does not know (lenient, as the gateway forwards any)', () => {
    const plan = planChat(user('Say hi', { response_format: { type: 'grammar' } }), ctx);
    expect(plan.tokens.join('')).toBe('You said: Say hi');
  });

  it('answers valid JSON in JSON mode, and an object with the required fields for a JSON schema', () => {
    const mode = planChat(user('Say hi', { response_format: { type: 'json_object' } }), ctx);
    expect(JSON.parse(mode.tokens.join(''))).toEqual({ answer: 'You said: Say hi' });
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string' },
        age: { type: 'integer', minimum: 3 },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['name', 'age', 'tags'],
    };
    const structured = planChat(
      user('Describe Ada', {
        response_format: { type: 'json_schema', json_schema: { name: 'p', schema } },
      }),
      ctx,
    );
    expect(JSON.parse(structured.tokens.join(''))).toEqual({ name: 'Ada', age: 3, tags: ['Ada'] });
    expect(structured.finishReason).toBe('stop');
  });
});
