/**
 * Deadlines shrink inward. Every hop of the cloud path tells the next one how long it will wait for the answer,
 * in a relative header, `X-Request-Timeout-Ms: <whole milliseconds>`, counted from the moment the request was
 * sent. Each hop anchors that value on its own clock when the request arrives (the Lambda at API Gateway's
 * `requestTimeEpoch`), keeps back its margin for answering in time, and gives the next hop what is left, capped
 * by its own limit. Relative rather than an epoch deadline: the worker, the REST service and AWS need not agree on
 * the time, and the transit time of one request is far below any margin here.
 *
 * With the defaults (askCloud's startToClose 90 s, UPSTREAM_TIMEOUT_MS 60 s, BEDROCK_TIMEOUT_MS 20 s):
 *
 *   activity attempt   90 s    startToClose
 *   worker → REST      60 s    min(UPSTREAM_TIMEOUT_MS, 90 s − ACTIVITY_DEADLINE_MARGIN_MS)
 *   REST service       59.75 s min(UPSTREAM_TIMEOUT_MS, 60 s − SERVICE_DEADLINE_MARGIN_MS), both attempts
 *   REST → gateway     ≤ 59.75 s   what is left of the REST budget when the attempt starts
 *   gateway/Lambda     29 s    min(API_GATEWAY_TIMEOUT_MS, header − GATEWAY_DEADLINE_MARGIN_MS)
 *   provider call      28.5 s  min(remaining invocation time, header) − LAMBDA_DEADLINE_MARGIN_MS
 *   Bedrock attempt    20 s    min(BEDROCK_TIMEOUT_MS, what the provider call has left)
 *
 * A hop whose budget is already spent when the request arrives answers 504 at once, without calling further.
 * Pure: the services, the worker and the Lambda bundle import it.
 */
import { ValidationError } from './errors';

export const REQUEST_TIMEOUT_HEADER = 'X-Request-Timeout-Ms';

/** API Gateway's REST integration timeout (its default quota); the local gateway never waits longer. */
export const API_GATEWAY_TIMEOUT_MS = 29_000;

/** The REST service's budget for one generate call, retry included (`UPSTREAM_TIMEOUT_MS`): two gateway-capped tries. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;

/**
 * The activity stops waiting this long before its startToClose (or scheduleToClose) ends, so that it reports
 * the upstream's own retryable failure to Temporal instead of being timed out mid-call: the report is one gRPC
 * round trip, plus the delay between the server starting the attempt's clock and the worker running the
 * function, on a worker that may be busy.
 */
export const ACTIVITY_DEADLINE_MARGIN_MS = 2_000;

/** The REST service answers this long before its caller gives up: a JSON error and one hop back on the same network. */
export const SERVICE_DEADLINE_MARGIN_MS = 250;

/**
 * The local gateway's integration timeout ends this long before its caller's: its 504 then reaches the REST
 * service, as a clean gateway answer on a kept-alive connection, before the REST service's own attempt timeout.
 */
export const GATEWAY_DEADLINE_MARGIN_MS = 100;

/**
 * The Lambda aborts the model call this long before the earlier of its invocation deadline and its caller's:
 * enough to encode the 504 ErrorResponse, return it through the runtime and API Gateway, rather than being
 * killed by the runtime (which API Gateway reports as a bare 502/504 without our error body).
 */
export const LAMBDA_DEADLINE_MARGIN_MS = 500;

/**
 * The REST service's one retry starts only if at least this much of its budget is left after the backoff: a warm
 * Lambda plus a short Converse answer (Haiku, 150 tokens) takes about 1–2 s, so a retry with less time would
 * mostly time out and only add load to a provider that is already failing.
 */
export const MIN_RETRY_BUDGET_MS = 2_000;

/** Whole milliseconds, at most 10 digits (~115 days): anything else in the header is malformed. */
const WHOLE_MS = /^\d{1,10}$/;

/**
 * The caller's timeout from the header's value (as Node or API Gateway hand it over); undefined when there is
 * none. A malformed value is a ValidationError (400).
 */
export function parseRequestTimeout(value: string | string[] | null | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (!WHOLE_MS.test(text.trim())) {
    throw new ValidationError(
      `Invalid ${REQUEST_TIMEOUT_HEADER} header: expected a whole number of milliseconds`,
    );
  }
  return Number(text.trim());
}

/**
 * How long a hop may take: its own limit, or what its caller will still wait less this hop's margin when that is
 * shorter. Zero or less: the caller's deadline has passed (or will before an answer could reach it).
 */
export function hopBudgetMs(
  ownLimitMs: number,
  callerTimeoutMs: number | undefined,
  marginMs: number,
): number {
  return callerTimeoutMs === undefined ? ownLimitMs : Math.min(ownLimitMs, callerTimeoutMs - marginMs);
}
