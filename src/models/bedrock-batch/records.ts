/**
 * A batch job's input: one JSONL line `{recordId, modelInput}` per waiting turn, `modelInput` being the Converse
 * request body the on-demand path sends (src/models/converse-request.ts). Record ids are positions in the job
 * (`R0000000000`…), so the answers join back to their turns without a lookup table; the job's name and its
 * clientRequestToken come from a hash of its content, so a retried submission never creates a second job.
 */
import { createHash } from 'node:crypto';
import type { ConverseRequestBody } from '../converse-request';

/** What a conversation leaves in S3 for its turn's record (see layout.ts, requestLocation). */
export interface StagedRequest {
  modelId: string;
  modelInput: ConverseRequestBody;
}

const RECORD_ID = /^R(\d{10})$/;

/** Eleven letters and digits, as Bedrock's documentation asks of record ids. */
export function recordId(index: number): string {
  return `R${String(index).padStart(10, '0')}`;
}

export function recordIndex(id: string): number | undefined {
  const match = RECORD_ID.exec(id);
  return match ? Number(match[1]) : undefined;
}

export function jobJsonl(modelInputs: readonly ConverseRequestBody[]): string {
  return modelInputs
    .map((modelInput, i) => `${JSON.stringify({ recordId: recordId(i), modelInput })}\n`)
    .join('');
}

/** Everything of a job's request but its records (the campaign, model, role, output, timeout) and which submission. */
export interface JobParameters {
  campaignId: string;
  modelId: string;
  roleArn: string;
  outputS3Uri: string;
  timeoutHours?: number;
  /** From 0: the same records sent again after a job Failed or Expired are a new job. */
  submission: number;
}

/**
 * sha256 of the job's parameters and records: a retried submission of the same job gets the same token (Bedrock
 * then returns the job it already has), anything else a different one, so Bedrock never sees one token twice for
 * two requests.
 */
export function contentToken(parameters: JobParameters, jsonl: string): string {
  const { campaignId, modelId, roleArn, outputS3Uri, timeoutHours, submission } = parameters;
  const head = JSON.stringify([campaignId, modelId, roleArn, outputS3Uri, timeoutHours ?? null, submission]);
  return createHash('sha256').update(`${head}\n`).update(jsonl).digest('hex');
}

/** `<campaign id>-<16 hex of the token>`, within Bedrock's job-name rule (63 characters, no `_`). */
export function jobNameFor(campaignId: string, token: string): string {
  const campaign = campaignId.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 40);
  return `${campaign}-${token.slice(0, 16)}`;
}
