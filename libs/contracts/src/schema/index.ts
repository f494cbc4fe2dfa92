export * from './data-uri';
export * from './json-schema';
export * from './request-validator';
export * from './openapi-schemas';
export * from './openapi-document';
