import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { repoRoot, requireTool } from '../helpers/tools';

const template = path.join(repoRoot, 'lambda', 'template.yaml');

describe('lambda/template.yaml', () => {
  it('passes cfn-lint', async () => {
    const cfnLint = requireTool('cfn-lint');
    const run = promisify(execFile);
    const result: { code?: number; stdout?: string; stderr?: string } = await run(cfnLint, [template], {
      cwd: repoRoot,
    }).catch((err: { code?: number; stdout?: string; stderr?: string }) => err);
    expect({ code: result.code ?? 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` }).toEqual({
      code: 0,
      output: '',
    });
  }, 120_000);

  it('passes the Lambda every variable its config reads and allows InvokeModel on the configured model only', () => {
    const doc = parse(readFileSync(template, 'utf8'), { customTags: cfnTags }) as {
      Resources: Record<string, { Properties: Record<string, unknown> }>;
    };
    const fn = doc.Resources.GenerateFunction!.Properties as {
      Environment: { Variables: Record<string, unknown> };
      Policies: { Statement: { Action: string; Resource: unknown }[] }[];
    };
    expect(Object.keys(fn.Environment.Variables)).toEqual(
      expect.arrayContaining([
        'MODEL_PROVIDER',
        'BEDROCK_MODEL_ID',
        'BEDROCK_TIMEOUT_MS',
        'BEDROCK_MAX_ATTEMPTS',
      ]),
    );
    expect(fn.Policies[0]?.Statement).toEqual([
      expect.objectContaining({
        Action: 'bedrock:InvokeModel',
        Resource: expect.stringContaining('foundation-model/${BedrockModelId}'),
      }),
    ]);
  });
});

/** CloudFormation's short-form intrinsic functions, read as plain values. */
const cfnTags = ['!Ref', '!Sub', '!GetAtt'].map((tag) => ({
  tag,
  resolve: (value: string) => value,
}));
