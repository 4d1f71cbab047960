import { Logger } from '@aws-lambda-powertools/logger';
import { loadLambdaConfig } from '../src/models/lambda-config';
import { createHandler } from './create-handler';
import { createProvider } from './providers/from-config';

export { createHandler } from './create-handler';
export type {
  GenerateHandler,
  HandlerDeps,
  InvocationContext,
  ProxyEvent,
  ProxyResult,
} from './create-handler';

// Module scope: runs once per container (cold start), so config errors fail init and clients are reused.
const config = loadLambdaConfig();
const logger = new Logger({ serviceName: 'llm-lambda' });

/** The Lambda entry point (`index.handler` in the bundle). */
export const handler = createHandler({ provider: createProvider(config), config, logger });
