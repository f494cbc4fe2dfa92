import { loadConfig } from '@app/config';
import { ModelNotFoundError } from '@app/contracts';
import { CatalogService } from './catalog.service';

const sut = new CatalogService(loadConfig({ GATEWAY_INSECURE_NO_AUTH: 'true' }));
const everyone = { keyName: 'admin' };
const teamA = { keyName: 'team-a', models: new Set(['llama-4-scout']) };

describe('CatalogService', () => {
  it('flattens composite chains in order, each hop keeping the member whose constraints apply', () => {
    expect(sut.chain('image-gen').map((h) => [h.member.alias, h.backend, h.model])).toEqual([
      ['nano-banana', 'openrouter', 'google/gemini-3.1-flash-image-preview'],
      ['gpt-image', 'openrouter', 'openai/gpt-5.4-image-2'],
    ]);
    expect(sut.chain('flagship').map((h) => h.member.alias)).toEqual([
      'gpt-5.5-pro',
      'claude-opus-4.7',
      'gemini-3.1-pro',
    ]);
    expect(sut.chain('llama-4-scout').map((h) => h.backend)).toEqual([
      'vllm',
      'ollama-cloud',
      'openrouter',
    ]);
  });

  it('lists and resolves only the aliases a key may use, with the same 404 for unknown and forbidden', () => {
    expect(sut.list(everyone)).toHaveLength(13);
    expect(sut.list(teamA).map((m) => m.alias)).toEqual(['llama-4-scout']);
    expect(sut.require('llama-4-scout', teamA).family).toBe('Meta Llama 4');
    const forbidden = (): unknown => sut.require('gpt-image', teamA);
    const unknown = (): unknown => sut.require('gpt-9', everyone);
    expect(forbidden).toThrow(ModelNotFoundError);
    expect(unknown).toThrow(ModelNotFoundError);
  });

  it('carries the seed table figures for the floors', () => {
    const floors = Object.fromEntries(
      sut.list(everyone).map((m) => [m.alias, m.constraints.min_max_tokens]),
    );
    expect(floors).toMatchObject({
      flagship: 200,
      'gpt-5.5-pro': 200,
      'gemini-3.1-pro': 200,
      'gpt-image': 16,
      'llama-4-scout': null,
    });
  });
});
