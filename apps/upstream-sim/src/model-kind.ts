const REASONING_MODEL = /gpt-5|gemini-3|thinking|reason|o[134]-/i;
const IMAGE_MODEL = /image/i;

/**
 * True for model ids that hide a thinking pass before visible content (gpt-5*, gemini-3*,
 * *thinking*, *reason*, o1-/o3-/o4-). Image models are never treated as reasoning models.
 */
export function isReasoningModel(model: string): boolean {
  return REASONING_MODEL.test(model) && !IMAGE_MODEL.test(model);
}

/** True for model ids that answer with a generated image (any id containing "image"). */
export function isImageModel(model: string): boolean {
  return IMAGE_MODEL.test(model);
}
