/**
 * The whole check of a campaign spec, as `POST /campaigns`, `npm run campaign` and the plan activity make it: the
 * schema, the seeds file (read from INPUT_DIR), the expansion into items. Writes nothing.
 */
import { expandCampaign, inlineSeedEntries } from './expand';
import { campaignIdFor, specHashOf } from './identity';
import { issuesOf } from '../contracts/campaign-issues';
import type { SpecIssue } from '../contracts/campaign-issues';
import { readSeedsFile } from './seeds-file';
import { campaignSpecSchema } from '../contracts/campaign-spec';
import type { CampaignSpec } from '../contracts/campaign-spec';
import type { CampaignItem } from '../contracts/campaign';
import { DEFAULT_CATALOG, endpointIssues, type EndpointCatalog } from '../models/endpoints';
import { pilotItems, pilotSizeProblem } from './pilot-sample';

/**
 * The spec is the campaign workflow's input, and Temporal refuses a payload over 2 MB: past this size, seeds
 * belong in a seedsFile.
 */
export const MAX_SPEC_JSON_BYTES = 1024 * 1024;

export interface ValidCampaign {
  ok: true;
  spec: CampaignSpec;
  campaignId: string;
  /** sha256 of the validated spec (see identity.ts). */
  specHash: string;
  items: CampaignItem[];
  /** The seeds file read, and the sha256 of its bytes. */
  seedsFile?: { name: string; sha256: string };
}

export type CampaignValidation = ValidCampaign | { ok: false; issues: SpecIssue[] };

export interface ValidateOptions {
  /** INPUT_DIR: where `seedsFile` is read from. */
  inputDir: string;
  /**
   * The campaign's id when it is already fixed (the plan activity takes it from the workflow, which may have
   * been started with any `campaign-<id>` workflow id); by default `campaignIdFor(spec)`.
   */
  campaignId?: string;
  /** The endpoints a pair may name (MODEL_ENDPOINTS_FILE); unset: each side's default only. */
  endpoints?: EndpointCatalog;
}

/** The schema, the size, then resolveCampaign: what a spec from outside (the API, the CLI) goes through once. */
export async function validateCampaign(
  rawSpec: unknown,
  options: ValidateOptions,
): Promise<CampaignValidation> {
  const parsed = campaignSpecSchema().safeParse(rawSpec);
  if (!parsed.success) return { ok: false, issues: issuesOf(parsed.error) };
  const spec = parsed.data;
  const catalog = options.endpoints ?? DEFAULT_CATALOG;
  const unknown = spec.pairs.flatMap((pair, i) => endpointIssues(catalog, pair, `pairs[${i}].`));
  if (unknown.length > 0) return { ok: false, issues: unknown };
  const bytes = Buffer.byteLength(JSON.stringify(spec), 'utf8');
  if (bytes > MAX_SPEC_JSON_BYTES) {
    return {
      ok: false,
      issues: [
        {
          path: spec.seeds ? 'seeds' : '(root)',
          message: `the spec is ${bytes} bytes of JSON, over the ${MAX_SPEC_JSON_BYTES} a campaign's input may be: put the seeds in a seedsFile`,
        },
      ],
    };
  }
  return resolveCampaign(spec, options);
}

/**
 * A spec already checked against the schema (by the API, or by the workflow at its start), resolved into its
 * items: the seeds file read from INPUT_DIR and the expansion, whose own rules (item count, grid) may still fail.
 */
export async function resolveCampaign(
  spec: CampaignSpec,
  { inputDir, campaignId: fixedId }: ValidateOptions,
): Promise<CampaignValidation> {
  let seedsFile: ValidCampaign['seedsFile'];
  let seeds;
  if (spec.seedsFile !== undefined) {
    const read = await readSeedsFile(inputDir, spec.seedsFile);
    if (!read.ok) return read;
    seeds = read.entries;
    seedsFile = { name: spec.seedsFile, sha256: read.sha256 };
  } else {
    seeds = inlineSeedEntries(spec.seeds ?? []);
  }
  const campaignId = fixedId ?? campaignIdFor(spec);
  const expansion = expandCampaign(spec, campaignId, seeds);
  if (!expansion.ok) return expansion;
  let items = expansion.items;
  if (spec.pilot) {
    // A pilot runs a stratified sample of the items, under the ids they have in every campaign of this spec.
    const problem = pilotSizeProblem(items, spec.pilot.items);
    if (problem) return { ok: false, issues: [{ path: 'pilot.items', message: problem }] };
    items = pilotItems(items, spec.pilot.items);
  }
  return {
    ok: true,
    spec,
    campaignId,
    specHash: specHashOf(spec),
    items,
    ...(seedsFile ? { seedsFile } : {}),
  };
}
