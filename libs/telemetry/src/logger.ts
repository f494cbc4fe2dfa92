import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import type { LogLevelName } from '@app/config';

/** The process's one JSON log stream. */
export type GatewayLogger = Logger;

const LEVELS: Record<LogLevelName, Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** A log stream of its own, and how to flush it (the default one writes asynchronously). */
export interface CreatedLogger {
  logger: GatewayLogger;
  /**
   * Writes one `info` line `{"level":"info","time":…,"pid":…,"msg":<msg>,<fields>}` to the same
   * destination, `fields` being JSON members already serialised: the access line's fast path
   * (pino's generic serialiser costs several microseconds per line). Callers check the level.
   */
  line(msg: string, fields: string): void;
  /** Writes out whatever is still buffered, synchronously (before the process exits). */
  flush(): void;
}

/**
 * A pino logger writing one JSON object per line to `destination`, or to stdout through an
 * asynchronous buffer (pino's SonicBoom with `sync: false`) so a write never blocks the request
 * path; {@link CreatedLogger.flush} writes out what is left before exit.
 */
export function createLogger(level: LogLevelName, destination?: DestinationStream): CreatedLogger {
  const options = {
    level: LEVELS[level],
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const head = `{"level":"info","time":"`;
  const pid = `","pid":${process.pid},"msg":`;
  const line =
    (to: DestinationStream) =>
    (msg: string, fields: string): void => {
      to.write(`${head}${new Date().toISOString()}${pid}${JSON.stringify(msg)},${fields}}\n`);
    };
  if (destination) {
    return { logger: pino(options, destination), line: line(destination), flush: () => undefined };
  }
  const stdout = pino.destination({ dest: 1, sync: false });
  return {
    logger: pino(options, stdout),
    line: line(stdout),
    flush: () => {
      try {
        stdout.flushSync();
      } catch {
        // Not open yet or already closed: nothing was buffered.
      }
    },
  };
}

/**
 * Nest's logger interface over the JSON stream: `Logger.warn(message, context)` becomes
 * `{"level":"warn","context":"Router","msg":…}`; an error's stack goes into `stack`.
 */
export class JsonLogger implements LoggerService {
  constructor(private readonly logger: GatewayLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    if (!this.logger.isLevelEnabled('error')) {
      return;
    }
    // Nest calls error(message, stack?, context?); the static Logger.error(message, context).
    let stack = params[0];
    let context = params.length > 1 ? params[params.length - 1] : undefined;
    if (params.length === 1 && typeof stack === 'string' && !stack.includes('\n')) {
      context = stack;
      stack = undefined;
    }
    this.logger.error(
      Object.assign(
        {},
        typeof context === 'string' ? { context } : undefined,
        typeof stack === 'string' ? { stack } : undefined,
        message instanceof Error ? { stack: message.stack } : undefined,
      ),
      text(message),
    );
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) {
      return;
    }
    const context = params[params.length - 1];
    this.logger[level](typeof context === 'string' ? { context } : {}, text(message));
  }
}

function text(message: unknown): string {
  if (typeof message === 'string') {
    return message;
  }
  if (message instanceof Error) {
    return message.message;
  }
  try {
    return JSON.stringify(message) ?? String(message);
  } catch {
    return Object.prototype.toString.call(message);
  }
}
