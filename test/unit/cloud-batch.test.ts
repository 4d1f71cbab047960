/** Batch mode's pure parts: the cloudBatch spec field, job records and names, and reading a job's output. */
import { PATTERNS } from '../../src/stack/bedrock-batch-stand-in/wire';
import { batchLayout, jobOutputFolder, requestLocation } from '../../src/models/bedrock-batch/layout';
import { parseManifest, parseOutputLines } from '../../src/models/bedrock-batch/output';
import {
  contentToken,
  jobJsonl,
  jobNameFor,
  recordId,
  recordIndex,
} from '../../src/models/bedrock-batch/records';
import { batchWaitsMs, cloudBatchSchema } from '../../src/contracts/batch-spec';
import { converseRequestBody } from '../../src/models/converse-request';

const valid = {
  roleArn: 'arn:aws:iam::123456789012:role/BedrockBatch',
  inputS3Uri: 's3://my-bucket/batch/in',
  outputS3Uri: 's3://my-bucket/batch/out/',
};

function problems(value: unknown): string[] {
  const parsed = cloudBatchSchema().safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('cloudBatch', () => {
  it('accepts the three required fields and the optional ones in range', () => {
    expect(problems(valid)).toEqual([]);
    expect(problems({ ...valid, minRecords: 100, maxWaitMinutes: 0.5, timeoutHours: 24 })).toEqual([]);
    expect(problems({ ...valid, settleSeconds: 0, pollSeconds: 30, maxPollSeconds: 3_600 })).toEqual([]);
  });

  it('gives the batcher its waits in ms: the spec’s, else 5 s to settle and polls from 5 s up to 5 min', () => {
    expect(batchWaitsMs({})).toEqual({ settleMs: 5_000, pollMs: 5_000, maxPollMs: 300_000 });
    expect(batchWaitsMs({ settleSeconds: 0.5, pollSeconds: 60, maxPollSeconds: 1_800 })).toEqual({
      settleMs: 500,
      pollMs: 60_000,
      maxPollMs: 1_800_000,
    });
  });

  it.each([
    [{ ...valid, roleArn: 'BedrockBatch' }, 'roleArn: must be an IAM role ARN'],
    [{ ...valid, roleArn: 'arn:aws:iam::123456789012:user/me' }, 'roleArn: must be an IAM role ARN'],
    [{ ...valid, inputS3Uri: 'https://my-bucket/in' }, 'inputS3Uri: must be s3://bucket'],
    [{ ...valid, outputS3Uri: 's3://My_Bucket/out' }, 'outputS3Uri: bucket "My_Bucket" must be 3..63'],
    [{ ...valid, inputS3Uri: 's3://my-bucket/a b/in' }, `inputS3Uri: prefix part "a b" must be letters`],
    [{ ...valid, inputS3Uri: 's3://my-bucket/a/../b' }, 'inputS3Uri: prefix part ".."'],
    [{ ...valid, minRecords: 0 }, 'minRecords: Too small'],
    [{ ...valid, minRecords: 50_001 }, 'minRecords: Too big'],
    [{ ...valid, timeoutHours: 12 }, 'timeoutHours: Too small'],
    [{ ...valid, timeoutHours: 169 }, 'timeoutHours: Too big'],
    [{ ...valid, maxWaitMinutes: 0 }, 'maxWaitMinutes: Too small'],
    [{ ...valid, region: 'us-east-1' }, 'Unrecognized key: "region"'],
    [{ ...valid, settleSeconds: -1 }, 'settleSeconds: Too small'],
    [{ ...valid, settleSeconds: 3_601 }, 'settleSeconds: Too big'],
    [{ ...valid, pollSeconds: 0.5 }, 'pollSeconds: Too small'],
    [{ ...valid, pollSeconds: '5' }, 'pollSeconds: Invalid input'],
    [{ ...valid, maxPollSeconds: 86_401 }, 'maxPollSeconds: Too big'],
    [
      { ...valid, pollSeconds: 60, maxPollSeconds: 30 },
      'maxPollSeconds: must leave maxPollSeconds (30) at least',
    ],
    [
      { ...valid, pollSeconds: 600 },
      'pollSeconds: must leave maxPollSeconds (300) at least pollSeconds (600)',
    ],
  ])('names the field of a bad value (%#)', (value, message) => {
    expect(problems(value).join('; ')).toContain(message);
  });

  it('requires roleArn, inputS3Uri and outputS3Uri', () => {
    expect(problems({}).map((p) => p.split(':')[0])).toEqual(['roleArn', 'inputS3Uri', 'outputS3Uri']);
  });
});

describe('job records', () => {
  const bodies = [0, 1, 2].map((i) =>
    converseRequestBody({
      messages: [{ role: 'user', content: `q${i}` }],
      system: 'Be brief',
      maxTokens: 64,
    }),
  );

  it('numbers the records by position, eleven characters as Bedrock documents', () => {
    expect(recordId(0)).toBe('R0000000000');
    expect(recordId(49_999)).toBe('R0000049999');
    expect(recordIndex(recordId(123))).toBe(123);
    expect(recordIndex('x123')).toBeUndefined();
    const lines = jobJsonl(bodies)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual(bodies.map((modelInput, i) => ({ recordId: recordId(i), modelInput })));
  });

  it('derives the token from the job’s parameters and records, and which submission it is', () => {
    const jsonl = jobJsonl(bodies);
    const job = {
      campaignId: 'c1',
      modelId: 'm.model-v1',
      roleArn: valid.roleArn,
      outputS3Uri: 's3://b/out/c1/jobs',
      submission: 0,
    };
    const token = contentToken(job, jsonl);
    expect(token).toMatch(new RegExp(`^(?:${PATTERNS.ModelInvocationIdempotencyToken})$`));
    expect(contentToken({ ...job }, jsonl)).toBe(token);
    for (const other of [
      { submission: 1 },
      { modelId: 'm.other-v1' },
      { campaignId: 'c2' },
      { roleArn: 'arn:aws:iam::123456789012:role/Other' },
      { outputS3Uri: 's3://b/elsewhere' },
      { timeoutHours: 24 },
    ]) {
      expect(contentToken({ ...job, ...other }, jsonl)).not.toBe(token);
    }
    expect(contentToken(job, jobJsonl(bodies.slice(1)))).not.toBe(token);
  });

  it('names jobs within Bedrock’s rule, whatever the campaign id', () => {
    const name = new RegExp(`^(?:${PATTERNS.ModelInvocationJobName})$`);
    const token = 'f'.repeat(64);
    for (const campaignId of ['a', 'my_campaign.v2', 'x'.repeat(64), 'A-b_c.d']) {
      const jobName = jobNameFor(campaignId, token);
      expect(jobName).toMatch(name);
      expect(jobName.length).toBeLessThanOrEqual(63);
    }
  });

  it('lays the files out under the campaign, in keys Bedrock’s S3Uri rule accepts', () => {
    const layout = batchLayout(valid, 'camp_1');
    expect(layout).toEqual({
      input: { bucket: 'my-bucket', key: 'batch/in/camp_1' },
      output: { bucket: 'my-bucket', key: 'batch/out/camp_1' },
    });
    expect(requestLocation(layout, { conversationId: 'campaign-camp_1-0123456789ab', turn: 2 }).key).toBe(
      'batch/in/camp_1/requests/campaign-camp_1-0123456789ab/turn-2.json',
    );
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghij12';
    expect(jobOutputFolder(layout, arn).key).toBe('batch/out/camp_1/jobs/abcdefghij12/');
  });
});

describe('job output', () => {
  const answer = (text: string) => ({
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 },
  });
  const line = (index: number, rest: object) =>
    JSON.stringify({ recordId: recordId(index), modelInput: {}, ...rest });

  it('joins lines in any order, across files, to their records', () => {
    const { results, unreadable } = parseOutputLines(
      [
        `${line(2, { modelOutput: answer('two') })}\n${line(0, { modelOutput: answer(' zero ') })}\n`,
        line(1, { modelOutput: answer('one') }),
      ],
      3,
    );
    expect(unreadable).toBe(0);
    expect([0, 1, 2].map((i) => results.get(i))).toEqual([
      { kind: 'answered', text: 'zero', stopReason: 'end_turn', inputTokens: 7, outputTokens: 3 },
      { kind: 'answered', text: 'one', stopReason: 'end_turn', inputTokens: 7, outputTokens: 3 },
      { kind: 'answered', text: 'two', stopReason: 'end_turn', inputTokens: 7, outputTokens: 3 },
    ]);
  });

  it('reads error lines, retryable for throttling and server errors only, and an empty answer as retryable', () => {
    const text = [
      line(0, { error: { errorCode: 400, errorMessage: 'bad request' } }),
      line(1, { error: { errorCode: 429, errorMessage: 'slow down' } }),
      line(2, { error: { errorCode: 500, errorMessage: 'oops' } }),
      line(3, { modelOutput: answer('   ') }),
    ].join('\n');
    const { results } = parseOutputLines([text], 4);
    expect([0, 1, 2, 3].map((i) => results.get(i))).toEqual([
      { kind: 'error', errorCode: 400, errorMessage: 'bad request', retryable: false },
      { kind: 'error', errorCode: 429, errorMessage: 'slow down', retryable: true },
      { kind: 'error', errorCode: 500, errorMessage: 'oops', retryable: true },
      { kind: 'error', errorCode: 500, errorMessage: 'The model returned an empty answer', retryable: true },
    ]);
  });

  it('counts lines it cannot place and leaves their records unanswered', () => {
    const { results, unreadable } = parseOutputLines(
      [
        'not json',
        line(9, { modelOutput: answer('x') }),
        JSON.stringify({ recordId: 'ABC', modelOutput: answer('x') }),
        line(0, {}),
      ],
      3,
    );
    expect(unreadable).toBe(4);
    expect(results.size).toBe(0);
  });

  it('keeps an answer over an error for the same record', () => {
    const { results } = parseOutputLines(
      [line(0, { modelOutput: answer('kept') }), line(0, { error: { errorCode: 500, errorMessage: 'x' } })],
      1,
    );
    expect(results.get(0)).toMatchObject({ kind: 'answered', text: 'kept' });
  });

  it('reads the manifest, and nothing from a broken one', () => {
    expect(
      parseManifest(
        '{"totalRecordCount":3,"processedRecordCount":2,"successRecordCount":2,"errorRecordCount":0,"inputTokenCount":9,"outputTokenCount":4}',
      ),
    ).toEqual({
      totalRecordCount: 3,
      processedRecordCount: 2,
      successRecordCount: 2,
      errorRecordCount: 0,
      inputTokenCount: 9,
      outputTokenCount: 4,
    });
    expect(parseManifest('{')).toBeUndefined();
  });
});
