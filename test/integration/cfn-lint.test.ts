import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadLambdaConfig } from '../../src/models/lambda-config';
import { repoRoot, requireTool } from '../helpers/tools';

const template = path.join(repoRoot, 'lambda', 'template.yaml');
const templateText = readFileSync(template, 'utf8');

/** The template with non-empty model lists: cfn-lint expands Fn::ForEach with the defaults, which are empty. */
function withModelLists(models: string[], profiles: string[]): string {
  const text = templateText
    .replace(/(AllowedModelIds:\n\s+Type: CommaDelimitedList\n\s+Default: )''/, `$1'${models.join(',')}'`)
    .replace(
      /(AllowedInferenceProfileIds:\n\s+Type: CommaDelimitedList\n\s+Default: )''/,
      `$1'${profiles.join(',')}'`,
    );
  expect(text).toContain(`Default: '${models.join(',')}'`);
  expect(text).toContain(`Default: '${profiles.join(',')}'`);
  return text;
}

async function cfnLint(file: string): Promise<{ code: number; output: string }> {
  const run = promisify(execFile);
  const result: { code?: number; stdout?: string; stderr?: string } = await run(
    requireTool('cfn-lint'),
    [file],
    {
      cwd: repoRoot,
    },
  ).catch((err: { code?: number; stdout?: string; stderr?: string }) => err);
  return { code: result.code ?? 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

describe('lambda/batch-template.yaml (what a batch campaign needs)', () => {
  const batchTemplate = path.join(repoRoot, 'lambda', 'batch-template.yaml');

  it('passes cfn-lint', async () => {
    expect(await cfnLint(batchTemplate)).toEqual({ code: 0, output: '' });
  }, 120_000);

  it('lets Bedrock assume the role, and the worker pass it only to Bedrock and run, read and stop jobs', () => {
    const text = readFileSync(batchTemplate, 'utf8');
    for (const action of [
      'bedrock:CreateModelInvocationJob',
      'bedrock:GetModelInvocationJob',
      'bedrock:StopModelInvocationJob',
      'iam:PassRole',
      'iam:PassedToService: bedrock.amazonaws.com',
      'Service: bedrock.amazonaws.com',
    ]) {
      expect(text).toContain(action);
    }
  });
});

describe('lambda/template.yaml', () => {
  it('passes cfn-lint', async () => {
    expect(await cfnLint(template)).toEqual({ code: 0, output: '' });
  }, 120_000);

  it('passes cfn-lint with allowed models and inference profiles listed (the Fn::ForEach policies expanded)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-'));
    try {
      const file = path.join(dir, 'template.yaml');
      writeFileSync(
        file,
        withModelLists(
          ['anthropic.claude-3-5-haiku-20241022-v1:0', 'amazon.nova-lite-v1:0'],
          ['us.anthropic.claude-sonnet-4-20250514-v1:0', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0'],
        ),
      );
      expect(await cfnLint(file)).toEqual({ code: 0, output: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('passes the Lambda every variable its config reads', () => {
    const fn = (parse(templateText, { customTags: cfnTags }) as Template).Resources.GenerateFunction!
      .Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(Object.keys(fn.Environment.Variables)).toEqual(
      expect.arrayContaining([
        'MODEL_PROVIDER',
        'BEDROCK_MODEL_ID',
        'BEDROCK_TIMEOUT_MS',
        'BEDROCK_MAX_ATTEMPTS',
      ]),
    );
  });

  it("gives each parameter the Lambda config's own default, so a deployed stack behaves like the local one", () => {
    const parsed = parse(templateText, { customTags: cfnTags }) as Template & {
      Parameters: Record<string, { Default?: unknown }>;
    };
    const variables = (
      parsed.Resources.GenerateFunction!.Properties as {
        Environment: { Variables: Record<string, unknown> };
      }
    ).Environment.Variables;
    const defaults = loadLambdaConfig({}) as Record<string, unknown>;
    const checked = Object.entries(variables).flatMap(([name, value]) => {
      const ref = (value as { Ref?: string } | null)?.Ref;
      const parameter = ref === undefined ? undefined : parsed.Parameters[ref];
      return parameter?.Default === undefined || !(name in defaults)
        ? []
        : [[name, String(parameter.Default)]];
    });
    expect(checked.map(([name]) => name)).toEqual(
      expect.arrayContaining(['BEDROCK_MODEL_ID', 'DEFAULT_MAX_TOKENS', 'BEDROCK_MAX_ATTEMPTS']),
    );
    for (const [name, value] of checked) expect([name, value]).toEqual([name, String(defaults[name!])]);
  });

  describe('the function may invoke', () => {
    const stack = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012' };
    const profileArn = (id: string) => `arn:aws:bedrock:eu-west-1:123456789012:inference-profile/${id}`;

    it('only the configured model, in any region, when no list is given', () => {
      const grants = invokeGrants({ ...stack, BedrockModelId: 'anthropic.claude-3-haiku-20240307-v1:0' });
      expect(grants).toEqual([
        { resource: 'arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0' },
      ]);
    });

    it('every listed foundation model and inference profile, and the models behind a profile only through it', () => {
      const grants = invokeGrants({
        ...stack,
        BedrockModelId: 'anthropic.claude-3-haiku-20240307-v1:0',
        AllowedModelIds: ['amazon.nova-lite-v1:0', 'anthropic.claude-3-5-haiku-20241022-v1:0'],
        AllowedInferenceProfileIds: [
          'eu.anthropic.claude-sonnet-4-20250514-v1:0',
          'global.amazon.nova-2-lite-v1:0',
        ],
      });
      expect(grants).toEqual(
        expect.arrayContaining([
          { resource: 'arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0' },
          { resource: 'arn:aws:bedrock:*::foundation-model/amazon.nova-lite-v1:0' },
          { resource: 'arn:aws:bedrock:*::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0' },
          { resource: profileArn('eu.anthropic.claude-sonnet-4-20250514-v1:0') },
          { resource: profileArn('global.amazon.nova-2-lite-v1:0') },
          {
            resource: 'arn:aws:bedrock:*::foundation-model/*',
            condition: {
              ArnLike: {
                'bedrock:InferenceProfileArn': profileArn('eu.anthropic.claude-sonnet-4-20250514-v1:0'),
              },
            },
          },
          {
            resource: 'arn:aws:bedrock:*::foundation-model/*',
            condition: {
              ArnLike: { 'bedrock:InferenceProfileArn': profileArn('global.amazon.nova-2-lite-v1:0') },
            },
          },
        ]),
      );
      expect(grants).toHaveLength(7);
      // The wildcard model grant never stands alone: each one is tied to a listed profile.
      expect(grants.filter((g) => g.resource.endsWith('/*') && !g.condition)).toEqual([]);
    });
  });
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Resource {
  Type: string;
  Condition?: string;
  Properties: Record<string, Json>;
}
interface Template {
  Conditions: Record<string, Json>;
  Resources: Record<string, Resource>;
}
interface Statement {
  Effect: string;
  Action: Json;
  Resource: Json;
  Condition?: Json;
}

/**
 * The bedrock:InvokeModel grants of the function's role for these parameter values: the template's Fn::ForEach
 * loops expanded and its intrinsic functions evaluated, as CloudFormation and the SAM transform would.
 */
function invokeGrants(values: Record<string, string | string[]>): { resource: string; condition?: Json }[] {
  const doc = parse(templateText, { customTags: cfnTags }) as Template;
  const params = { AllowedModelIds: [''], AllowedInferenceProfileIds: [''], ...values };
  const resources = expandForEach(doc.Resources, params);
  const created = (r: Resource) => !r.Condition || evaluate(doc.Conditions[r.Condition]!, params) === true;

  const statements: Statement[] = [];
  const fn = resources.GenerateFunction!.Properties as unknown as { Policies: { Statement: Statement[] }[] };
  for (const policy of fn.Policies) statements.push(...policy.Statement);
  for (const resource of Object.values(resources).filter(created)) {
    if (resource.Type !== 'AWS::IAM::RolePolicy') continue;
    expect(resource.Properties.RoleName).toEqual({ Ref: 'GenerateFunctionRole' });
    expect(evaluate(resource.Properties.PolicyName!, params)).toMatch(/^[\w+=,.@-]{1,128}$/);
    const document = resource.Properties.PolicyDocument as unknown as { Statement: Statement[] };
    statements.push(...document.Statement);
  }

  return statements.map((s) => {
    expect(s).toEqual(expect.objectContaining({ Effect: 'Allow', Action: 'bedrock:InvokeModel' }));
    const resource = evaluate(s.Resource, params) as string;
    return s.Condition === undefined ? { resource } : { resource, condition: evaluate(s.Condition, params) };
  });
}

/** Fn::ForEach::<name>: [identifier, collection, {key: value}] → one resource per item, as AWS::LanguageExtensions does. */
function expandForEach(
  resources: Record<string, Resource>,
  params: Record<string, string | string[]>,
): Record<string, Resource> {
  const out: Record<string, Resource> = {};
  for (const [key, value] of Object.entries(resources)) {
    if (!key.startsWith('Fn::ForEach::')) {
      out[key] = value;
      continue;
    }
    const [identifier, collection, fragment] = value as unknown as [string, Json, Record<string, Resource>];
    for (const item of evaluate(collection, params) as string[]) {
      for (const [name, resource] of Object.entries(fragment)) {
        const logicalId = name.replaceAll(`&{${identifier}}`, item.replace(/[^A-Za-z0-9]/g, ''));
        expect(out[logicalId]).toBeUndefined();
        out[logicalId] = substitute(resource, identifier, item) as unknown as Resource;
      }
    }
  }
  return out;
}

function substitute(value: unknown, identifier: string, item: string): Json {
  if (typeof value === 'string') return value.replaceAll(`\${${identifier}}`, item);
  if (Array.isArray(value)) return value.map((v) => substitute(v, identifier, item));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, Json>);
    if (entries.length === 1 && entries[0]![0] === 'Ref' && entries[0]![1] === identifier) return item;
    return Object.fromEntries(entries.map(([k, v]) => [k, substitute(v, identifier, item)]));
  }
  return value as Json;
}

/** The intrinsic functions this template uses, evaluated with the given parameter and pseudo-parameter values. */
function evaluate(value: Json, params: Record<string, string | string[]>): Json {
  if (Array.isArray(value)) return value.map((v) => evaluate(v, params));
  if (!value || typeof value !== 'object') return value;
  const [fn, arg] = Object.entries(value)[0] ?? [];
  const args = (): Json[] => arg as Json[];
  switch (fn) {
    case 'Ref': {
      const resolved = params[arg as string];
      if (resolved === undefined) throw new Error(`no value for Ref ${String(arg)}`);
      return resolved;
    }
    case 'Fn::Sub':
      return (arg as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        const resolved = params[name];
        if (typeof resolved !== 'string') throw new Error(`no string value for \${${name}}`);
        return resolved;
      });
    case 'Fn::Join':
      return (evaluate(args()[1]!, params) as string[]).join(args()[0] as string);
    case 'Fn::Split':
      return (evaluate(args()[1]!, params) as string).split(args()[0] as string);
    case 'Fn::Equals':
      return evaluate(args()[0]!, params) === evaluate(args()[1]!, params);
    case 'Fn::Not':
      return !evaluate(args()[0]!, params);
    default:
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, params)]));
  }
}

/** CloudFormation's short-form intrinsic functions, read as their long form ({"Fn::Sub": ...}). */
const cfnTags = ['Ref', 'Sub', 'GetAtt', 'Join', 'Split', 'Not', 'Equals'].flatMap((name) => {
  const key = name === 'Ref' ? 'Ref' : `Fn::${name}`;
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [key]: value }) },
    {
      tag: `!${name}`,
      collection: 'seq' as const,
      resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }),
    },
  ];
});
