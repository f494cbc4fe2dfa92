export const PING = 'pong';
