import { GatewayError, TINY_PNG_DATA_URI } from '@app/contracts';
import { responsesToChat } from './responses-to-chat';

function refusal(body: Record<string, unknown>): { param: string | null; code: string } {
  try {
    responsesToChat({ model: 'm', input: 'hi', ...body });
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    const { param, code, status } = err as GatewayError;
    expect(status).toBe(400);
    return { param, code };
  }
  throw new Error('expected a refusal');
}

describe('responsesToChat', () => {
  it('translates every supported field to its chat counterpart', () => {
    const { chat, echo } = responsesToChat({
      model: 'gpt-5.5-pro',
      instructions: 'Be terse.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] },
        {
          type: 'function_call',
          call_id: 'call_1',
          name: 'get_weather',
          arguments: '{"city":"Paris"}',
        },
        { type: 'function_call_output', call_id: 'call_1', output: '{"temp":21}' },
      ],
      tools: [
        { type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: true },
      ],
      tool_choice: { type: 'function', name: 'get_weather' },
      text: {
        format: { type: 'json_schema', name: 'w', schema: { type: 'object' } },
        verbosity: 'low',
      },
      max_output_tokens: 50,
      temperature: 0.5,
      top_p: 0.9,
      reasoning: { effort: 'high' },
      metadata: { team: 'a' },
      parallel_tool_calls: false,
      stream: true,
      store: false,
      user: 'u-1',
    });
    expect(chat).toEqual({
      model: 'gpt-5.5-pro',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      ],
      stream: true,
      max_tokens: 50,
      temperature: 0.5,
      top_p: 0.9,
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object' }, strict: true },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'w', schema: { type: 'object' } },
      },
      verbosity: 'low',
      reasoning_effort: 'high',
      user: 'u-1',
    });
    expect(echo).toMatchObject({
      metadata: { team: 'a' },
      max_output_tokens: 50,
      instructions: 'Be terse.',
    });
    expect(JSON.stringify(chat)).not.toContain('metadata');
  });

  it('maps json_object and keeps an assistant turn as text', () => {
    const { chat } = responsesToChat({
      model: 'm',
      input: [
        { role: 'user', content: 'a' },
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'b', annotations: [] }],
        },
        { role: 'user', content: 'c' },
      ],
      text: { format: { type: 'json_object' } },
    });
    expect(chat.messages[1]).toEqual({ role: 'assistant', content: 'b' });
    expect(chat.response_format).toEqual({ type: 'json_object' });
  });

  it('forwards a base64 input_image as an image_url part', () => {
    const { chat } = responsesToChat({
      model: 'm',
      input: [{ role: 'user', content: [{ type: 'input_image', image_url: TINY_PNG_DATA_URI }] }],
    });
    expect(chat.messages[0].content).toEqual([
      { type: 'image_url', image_url: { url: TINY_PNG_DATA_URI } },
    ]);
  });

  it.each([
    [{ previous_response_id: 'resp_1' }, 'previous_response_id', 'unsupported_parameter'],
    [{ store: true }, 'store', 'unsupported_parameter'],
    [{ background: true }, 'background', 'unsupported_parameter'],
    [
      { stream: true, stream_options: { include_obfuscation: true } },
      'stream_options.include_obfuscation',
      'unsupported_parameter',
    ],
    [{ prompt: { id: 'p' } }, 'prompt', 'unsupported_parameter'],
    [{ tools: [{ type: 'file_search' }] }, 'tools[0].type', 'unsupported_parameter'],
    [{ tool_choice: { type: 'web_search_preview' } }, 'tool_choice.type', 'unsupported_parameter'],
    [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0]', 'unsupported_parameter'],
    [
      { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] },
      'input[0].content[0]',
      'unsupported_parameter',
    ],
    [
      { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'f' }] }] },
      'input[0].content[0].file_id',
      'unsupported_parameter',
    ],
    [
      {
        input: [
          {
            role: 'user',
            content: [{ type: 'input_image', image_url: 'http://169.254.169.254/' }],
          },
        ],
      },
      'input[0].content[0].image_url',
      'image_url_not_supported',
    ],
    [{ input: [{ role: 'robot', content: 'x' }] }, 'input[0].role', 'invalid_value'],
    [{ input: [] }, 'input', 'invalid_value'],
    [{ max_output_tokens: 0 }, 'max_output_tokens', 'invalid_value'],
    [{ model: undefined }, 'model', 'missing_required_parameter'],
    [
      { text: { format: { type: 'json_schema', schema: {} } } },
      'text.format.name',
      'missing_required_parameter',
    ],
    [{ metadata: { nested: { base_url: 'x' } } }, 'metadata.nested', 'invalid_value'],
    [{ api_base: 'http://evil' }, 'api_base', 'unsupported_parameter'],
    [{ metadata: { provider: 'x' } }, 'metadata.provider', 'unsupported_parameter'],
    [{ seed: 1 }, 'seed', 'unsupported_parameter'],
  ])('refuses %j naming %s', (body, param, code) => {
    expect(refusal(body)).toEqual({ param, code });
  });

  it('lets a tool schema have a property named like a routing field', () => {
    const parameters = { type: 'object', properties: { provider: { type: 'string' } } };
    expect(() =>
      responsesToChat({
        model: 'm',
        input: 'x',
        tools: [{ type: 'function', name: 'f', parameters }],
      }),
    ).not.toThrow();
  });

  it("names a constraint's chat path the way the client wrote it", () => {
    const { paramOf } = responsesToChat({
      model: 'm',
      instructions: 'sys',
      input: [
        { role: 'user', content: 'a' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'b' },
            { type: 'input_image', image_url: TINY_PNG_DATA_URI },
          ],
        },
      ],
    });
    expect(paramOf('messages[2].content[1]')).toBe('input[1].content[1]');
    expect(paramOf('messages[2].content[1].image_url.url')).toBe('input[1].content[1].image_url');
    expect(paramOf('messages[0]')).toBe('instructions');
    expect(paramOf('messages')).toBe('input');
    expect(paramOf('max_tokens')).toBe('max_output_tokens');
    expect(paramOf('tools')).toBe('tools');
    expect(paramOf('tools[0].function.name')).toBe('tools[0].name');
    expect(paramOf(null)).toBeNull();
  });
});
