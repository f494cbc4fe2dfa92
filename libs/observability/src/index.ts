export * from './access-log.middleware';
export * from './observability.module';
export * from './request-id.middleware';
