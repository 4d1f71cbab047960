/**
 * The local gateway runs the Lambda handler in its own process, and the handler's Powertools logger takes its
 * level from POWERTOOLS_LOG_LEVEL at import. Unless that is set, it follows the stack's LOG_LEVEL, so
 * `LOG_LEVEL=warn` quiets the handler too. Imported before the handler.
 */
import { loadConfig } from '../shared/config';
import type { Config } from '../shared/config';

const POWERTOOLS_LEVELS: Record<Config['LOG_LEVEL'], string> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'CRITICAL',
  silent: 'SILENT',
};

process.env.POWERTOOLS_LOG_LEVEL ??= POWERTOOLS_LEVELS[loadConfig().LOG_LEVEL];
