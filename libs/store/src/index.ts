export * from './circuit-store';
export * from './limit-store';
export * from './live-list';
export * from './redis-circuit-store';
export * from './redis-connection';
export * from './redis-limit-store';
export * from './store-status';
export * from './store.module';
