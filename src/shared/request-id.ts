/**
 * Whether a caller's request id is safe to carry into logs, headers and the protobuf request. One rule for the
 * HTTP services and the Lambda (which must not import the Express plumbing of src/shared/http.ts).
 */
export function isWellFormedRequestId(id: string): boolean {
  return /^[\w.:-]{1,128}$/.test(id);
}
