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
