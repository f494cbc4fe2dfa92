export * from './contracts.module';
export * from './error-response.dto';
export * from './gateway.error';
export * from './openai-exception.filter';
export * from './api-error-responses.decorator';
export * from './chat/chat-completion.types';
export * from './chat/chat-completion-request.dto';
export * from './chat/chat-completion-response.dto';
