export * from './backend-health.service';
export * from './backend-registry';
export * from './backends/backend';
export * from './backends/upstream-transport';
export * from './failover.rule';
export * from './router.service';
export * from './routing.module';
