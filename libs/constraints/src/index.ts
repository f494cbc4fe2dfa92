export * from './apply-constraints.rule';
export * from './constraints.module';
export * from './context-window.rule';
export * from './image-output.rule';
export * from './max-tokens-floor.rule';
export * from './modalities.rule';
export * from './rule-outcome';
export * from './hop.rule';
