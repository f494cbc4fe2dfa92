import type { Modality, ModelEntry } from '@app/config';
import { ConstraintViolationError, type ChatCompletionRequest } from '@app/contracts';

const PART_MODALITY: Record<string, Exclude<Modality, 'text'>> = {
  image_url: 'image',
  input_audio: 'audio',
  video_url: 'video',
};

const CODE: Record<Exclude<Modality, 'text'>, string> = {
  image: 'image_input_not_supported',
  audio: 'audio_input_not_supported',
  video: 'video_input_not_supported',
};

/**
 * Refuses inputs the alias cannot take, before anything is forwarded: image, audio or video parts
 * its catalog entry does not list in `modalities.input`, and `tools` when it has no tool support.
 */
export function checkModalities(entry: ModelEntry, req: ChatCompletionRequest): void {
  req.messages.forEach((message, i) => {
    if (!Array.isArray(message.content)) {
      return;
    }
    message.content.forEach((part, j) => {
      const modality = PART_MODALITY[part.type];
      if (modality !== undefined && !entry.modalities.input.includes(modality)) {
        throw new ConstraintViolationError(
          CODE[modality],
          `The model '${entry.alias}' does not accept ${modality} input.`,
          `messages[${i}].content[${j}]`,
        );
      }
    });
  });
  if (!entry.tools && Array.isArray(req.tools) && req.tools.length > 0) {
    throw new ConstraintViolationError(
      'tools_not_supported',
      `The model '${entry.alias}' does not support tools.`,
      'tools',
    );
  }
}
