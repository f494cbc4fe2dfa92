export * from './config.error';
export * from './config.module';
export * from './gateway-config';
export { backendEnvPrefix, DEFAULT_CONFIG_PATH, loadConfig, sha256 } from './load-config';
