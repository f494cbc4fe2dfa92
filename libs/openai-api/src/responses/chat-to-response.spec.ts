import { chatToResponse, ResponseIds } from './chat-to-response';
import type { ResponseEcho } from './responses.types';

const ECHO = {
  instructions: null,
  max_output_tokens: 20,
  metadata: { a: 'b' },
  parallel_tool_calls: true,
  temperature: null,
  top_p: null,
  tool_choice: 'auto',
  tools: [],
  text: { format: { type: 'text' } },
  reasoning: { effort: null, summary: null },
} satisfies ResponseEcho;

const completion = (
  message: Record<string, unknown>,
  finish = 'stop',
): Record<string, unknown> => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1767225600,
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  usage: {
    prompt_tokens: 10,
    completion_tokens: 5,
    total_tokens: 15,
    completion_tokens_details: { reasoning_tokens: 2 },
  },
});

describe('chatToResponse', () => {
  it.each(['reasoning_content', 'reasoning'])(
    'makes the thinking in %s a reasoning item ahead of the message',
    (field) => {
      const response = chatToResponse(
        completion({ content: 'Blue.', [field]: 'Rayleigh scattering.' }),
        'gpt-5.5-pro',
        ECHO,
        new ResponseIds(),
      );
      expect(response.output).toMatchObject([
        {
          type: 'reasoning',
          status: 'completed',
          summary: [],
          content: [{ type: 'reasoning_text', text: 'Rayleigh scattering.' }],
        },
        { type: 'message', content: [{ type: 'output_text', text: 'Blue.' }] },
      ]);
    },
  );

  it('makes the text a message item and the usage Responses-shaped', () => {
    const response = chatToResponse(
      completion({ content: 'Hi!' }),
      'llama-4-scout',
      ECHO,
      new ResponseIds(),
    );
    expect(response).toMatchObject({
      object: 'response',
      created_at: 1767225600,
      status: 'completed',
      model: 'llama-4-scout',
      metadata: { a: 'b' },
      max_output_tokens: 20,
      store: false,
      incomplete_details: null,
      output: [
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Hi!', annotations: [] }],
        },
      ],
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        total_tokens: 15,
        output_tokens_details: { reasoning_tokens: 2 },
        input_tokens_details: { cached_tokens: 0 },
      },
    });
    expect(response.id).toMatch(/^resp_[0-9a-f]{24}$/);
  });

  it('makes tool calls function_call items, without an empty message', () => {
    const response = chatToResponse(
      completion(
        {
          content: null,
          tool_calls: [
            { id: 'call_9', type: 'function', function: { name: 'f', arguments: '{}' } },
          ],
        },
        'tool_calls',
      ),
      'm',
      ECHO,
    );
    expect(response.output).toEqual([
      {
        type: 'function_call',
        id: expect.stringMatching(/^fc_/) as unknown,
        call_id: 'call_9',
        name: 'f',
        arguments: '{}',
        status: 'completed',
      },
    ]);
  });

  it('makes images image_generation_call items with the base64 result', () => {
    const response = chatToResponse(
      completion({
        content: 'Here',
        images: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4A==' } }],
      }),
      'gpt-image',
      ECHO,
    );
    expect(response.output[1]).toMatchObject({
      type: 'image_generation_call',
      result: '/9j/4A==',
      output_format: 'jpeg',
    });
  });

  it('is incomplete when the budget ran out', () => {
    const response = chatToResponse(completion({ content: '' }, 'length'), 'm', ECHO);
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.output).toHaveLength(1);
  });
});
