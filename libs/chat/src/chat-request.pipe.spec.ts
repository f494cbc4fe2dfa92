import { InvalidRequestError } from '@app/contracts';
import { ChatRequestPipe } from './chat-request.pipe';

describe('ChatRequestPipe', () => {
  const sut = new ChatRequestPipe();

  it('hands the controller the very body the client sent', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], top_k: 1 };
    expect(sut.transform(body)).toBe(body);
  });

  it('turns a bad body into a 400 naming the field', () => {
    expect(() => sut.transform({ model: 'm', messages: [], stream: 'true' })).toThrow(
      InvalidRequestError,
    );
    expect(() => sut.transform({ messages: [] })).toThrow(
      expect.objectContaining({ status: 400, param: 'model' }),
    );
  });
});
