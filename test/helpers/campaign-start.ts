import type { Client, WorkflowHandle } from '@temporalio/client';
import { startCampaign } from '../../src/campaign/start';
import { validateCampaign } from '../../src/campaign/validate';
import type { campaignWorkflow } from '../../src/campaign/workflows/campaign';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';

/** Starts `spec` as the API and the CLI start a campaign: validated, then started on the main task queue. */
export async function startValidCampaign(
  client: Client,
  spec: CampaignSpec,
  inputDir: string,
): Promise<WorkflowHandle<typeof campaignWorkflow>> {
  const valid = await validateCampaign(spec, { inputDir });
  if (!valid.ok) throw new Error(JSON.stringify(valid.issues));
  return (await startCampaign(client, 'llm-conversations', valid)).handle as WorkflowHandle<
    typeof campaignWorkflow
  >;
}
