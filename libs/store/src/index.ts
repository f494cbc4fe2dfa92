export * from './circuit-store';
