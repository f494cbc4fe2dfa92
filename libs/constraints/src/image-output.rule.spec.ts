import { chat, entry } from './constraints.fixtures';
import { requestImageOutput } from './image-output.rule';

const imageModel = entry({ modalities: { input: ['text', 'image'], output: ['image', 'text'] } });

describe('requestImageOutput', () => {
  it('asks an image-output alias for ["image","text"] on a copy', () => {
    const req = chat();
    const out = requestImageOutput(imageModel, req);
    expect(out.request).toEqual({ ...req, modalities: ['image', 'text'] });
    expect(req).not.toHaveProperty('modalities');
    expect(out.applied).toBeUndefined();
  });

  it("keeps the client's own modalities", () => {
    const req = chat({ modalities: ['text'] });
    expect(requestImageOutput(imageModel, req).request).toBe(req);
  });

  it('leaves text-output aliases alone', () => {
    const req = chat();
    expect(requestImageOutput(entry(), req).request).toBe(req);
  });
});
