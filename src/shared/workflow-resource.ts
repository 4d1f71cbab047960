/**
 * A workflow as an HTTP resource, for the APIs' routes: its description, a query answered within a short deadline,
 * and signals; an unknown id is a 404, Temporal unreachable a 503, a signal to a finished workflow a 409.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client, QueryDefinition, SignalDefinition, Workflow, WorkflowHandle } from '@temporalio/client';
import { HttpError } from '../contracts/errors';
import type { Logger } from './logger';
import { temporalHttpErrors } from './temporal-errors';

/** The parts of a Temporal `Client` the APIs use (tests pass a fake). */
export type WorkflowClient = Pick<Client, 'workflow' | 'workflowService' | 'withDeadline'>;

export type ResourceKind = 'conversation' | 'campaign';

/** A query needs a worker; when none answers in this time, the routes answer from Temporal's own records. */
export const QUERY_TIMEOUT_MS = 3000;

export interface WorkflowResource<W extends Workflow> {
  handle: WorkflowHandle<W>;
  /** A `.catch` for the resource's Temporal calls: 404, 503, else rethrown. */
  errors: (err: unknown) => never;
  describe(): ReturnType<WorkflowHandle<W>['describe']>;
  /** The query's answer, or undefined when no worker answered in QUERY_TIMEOUT_MS. */
  query<T>(query: QueryDefinition<T>): Promise<T | undefined>;
  /** Sends the signal; to a workflow that has finished, a 409 `<KIND>_FINISHED` naming its status. */
  signal<Args extends unknown[]>(signal: SignalDefinition<Args>, ...args: Args): Promise<void>;
}

export function workflowResource<W extends Workflow>(
  client: WorkflowClient,
  logger: Logger,
  kind: ResourceKind,
  id: string,
  workflowId = id,
): WorkflowResource<W> {
  const handle = client.workflow.getHandle<W>(workflowId);
  const errors = temporalHttpErrors(kind, id);
  const describe = () => handle.describe().catch(errors) as ReturnType<WorkflowHandle<W>['describe']>;
  return {
    handle,
    errors,
    describe,
    query: (query) =>
      client
        .withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(query))
        .catch((err: unknown) => {
          logger.debug({ err, workflowId, query: query.name }, 'query not answered');
          return undefined;
        }),
    signal: async (signal, ...args) => {
      await handle.signal(signal, ...args).catch(async (err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) return errors(err);
        // Signalling a closed workflow is "not found" too: tell the two apart.
        const description = await describe();
        const name = `${kind[0]!.toUpperCase()}${kind.slice(1)}`;
        throw new HttpError(
          409,
          `${kind.toUpperCase()}_FINISHED`,
          `${name} ${id} has already finished (${description.status.name})`,
        );
      });
    },
  };
}
