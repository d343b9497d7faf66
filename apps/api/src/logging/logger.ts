import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { redactSensitive } from './redact.js';

/**
 * One pino logger for the process: JSON lines, with every logged object passed through the
 * redactor so no credential reaches the log whatever a caller hands it.
 */
export function createRootLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'keyward-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactSensitive(object) as Record<string, unknown>,
      },
    },
    destination,
  );
}

/** Adapts pino to Nest's LoggerService so framework messages share the same format. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
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

  /** Nest passes (message, ...optional, context): the last string is the context. */
  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    params: unknown[],
  ): void {
    const rest = [...params];
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const child = context ? this.logger.child({ context }) : this.logger;
    if (typeof message === 'object' && message !== null) {
      const text = typeof rest[0] === 'string' ? rest[0] : undefined;
      child[level](message, text);
      return;
    }
    if (level === 'error' && typeof rest[0] === 'string' && rest[0].includes('\n')) {
      child[level]({ stack: rest[0] }, String(message));
      return;
    }
    child[level](String(message));
  }
}
