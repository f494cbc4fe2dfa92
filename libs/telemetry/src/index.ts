export * from './request-record';
