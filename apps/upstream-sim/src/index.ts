export { startSim } from './sim-server';
export { isImageModel, isReasoningModel } from './model-kind';
export { describeImage, inspectImage, renderPromptPng, type ImageFacts } from './png-image';
export type { Fault, RecordedRequest, SimFlavor, SimOptions, SimServer } from './sim-types';
