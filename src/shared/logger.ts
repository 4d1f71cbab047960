import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout; every line carries the component that wrote it. */
export function createLogger(component: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime });
}
