/** docs/configuration.md against the config schemas: every variable documented, with the default the code uses. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LAMBDA_CONFIG_VARIABLES, loadLambdaConfig } from '../../src/models/lambda-config';
import {
  BEDROCK_BATCH_CONFIG_VARIABLES,
  loadBedrockBatchConfig,
} from '../../src/stack/bedrock-batch-stand-in/config';
import { CONFIG_VARIABLES, loadConfig } from '../../src/shared/config';

const doc = readFileSync(path.join(__dirname, '../../docs/configuration.md'), 'utf8');

/** The `| \`NAME\` | default | meaning |` rows of the table under a `## heading`. */
function table(heading: string): Map<string, string> {
  const start = doc.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`docs/configuration.md has no "## ${heading}" section`);
  const end = doc.indexOf('\n## ', start + 1);
  const rows = new Map<string, string>();
  for (const line of doc.slice(start, end < 0 ? undefined : end).split('\n')) {
    const cells = /^\|\s*`([A-Z0-9_]+)`\s*\|([^|]*)\|/.exec(line);
    if (cells) rows.set(cells[1]!, cells[2]!.trim());
  }
  return rows;
}

/** A documented default as the value the schema would produce: `unset`, or the code span with `$VAR`s filled in. */
function documentedDefault(text: string, defaults: Record<string, unknown>): unknown {
  if (text === 'unset') return undefined;
  const code = /^`([^`]*)`$/.exec(text)?.[1];
  if (code === undefined) throw new Error(`default ${text} is neither unset nor one code span`);
  return code.replace(/\$([A-Z0-9_]+)/g, (_, name: string) => String(defaults[name]));
}

describe.each([
  ['Services', CONFIG_VARIABLES, loadConfig({}) as Record<string, unknown>],
  ['Lambda', LAMBDA_CONFIG_VARIABLES, loadLambdaConfig({}) as Record<string, unknown>],
  [
    'Bedrock batch stand-in',
    BEDROCK_BATCH_CONFIG_VARIABLES,
    loadBedrockBatchConfig({}) as Record<string, unknown>,
  ],
])('docs/configuration.md § %s', (heading, variables, defaults) => {
  const rows = table(heading);

  test('documents every variable the schema reads, and no other', () => {
    expect([...rows.keys()].sort()).toEqual([...variables].sort());
  });

  test.each(variables)('%s has the default the code uses', (name) => {
    const documented = rows.get(name);
    if (documented === undefined) throw new Error(`${name} is not documented`);
    const actual = defaults[name];
    expect(documentedDefault(documented, defaults)).toBe(actual === undefined ? undefined : String(actual));
  });
});

test('.env.example names every variable', () => {
  const example = readFileSync(path.join(__dirname, '../../.env.example'), 'utf8');
  const named = new Set([...example.matchAll(/^#?\s*([A-Z0-9_]+)=/gm)].map((m) => m[1]));
  expect([...CONFIG_VARIABLES, ...LAMBDA_CONFIG_VARIABLES].filter((v) => !named.has(v))).toEqual([]);
});
