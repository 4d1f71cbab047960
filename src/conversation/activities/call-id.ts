import type { Info } from '@temporalio/activity';
import { isWellFormedRequestId } from '../../shared/request-id';

/**
 * `<workflowId>:<activityId>:<attempt>`, sent to the model servers as `X-Request-Id` so their logs (and the
 * Lambda's, which the REST service passes it on to) tie a call to its conversation turn and attempt. Unset
 * when the workflow id is too long to carry; the server then makes its own.
 */
export function callRequestId(
  info: Pick<Info, 'workflowExecution' | 'activityId' | 'attempt'>,
): string | undefined {
  const workflowId = info.workflowExecution?.workflowId ?? 'standalone';
  const id = `${workflowId}:${info.activityId}:${info.attempt}`;
  return isWellFormedRequestId(id) ? id : undefined;
}

/**
 * The key that routes a conversation side's calls to one replica of an endpoint (see replicas.ts): the conversation's
 * workflow id and the side, the same for every turn, attempt and resample.
 */
export function routeKey(info: Pick<Info, 'workflowExecution'>, side: 'cloud' | 'local'): string {
  return `${info.workflowExecution?.workflowId ?? 'standalone'}\u0000${side}`;
}
