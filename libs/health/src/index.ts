export * from './drain.middleware';
export * from './graceful-shutdown';
export * from './health.module';
export * from './lifecycle.service';
export * from './health.schema';
