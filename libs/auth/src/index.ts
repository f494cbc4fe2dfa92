export * from './api-key.guard';
export * from './auth.module';
export * from './authenticate.rule';
export * from './principal.decorator';
export * from './public.decorator';
