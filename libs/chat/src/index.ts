export * from './chat-call';
export * from './chat.module';
export * from './chat.service';
export * from './sse-relay';
export * from './chat-request.pipe';
export * from './json-body.middleware';
export * from './validate-chat-request';
export * from './served-headers';
