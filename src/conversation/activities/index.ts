import { makeAskCloud } from './cloud';
import type { CloudDeps } from './cloud';
import { makeAskLocal } from './local';
import type { LocalDeps } from './local';
import { makeExportTranscript } from './transcript-export';
import type { ExportDeps } from './transcript-export';
import type { ConversationMetrics } from '../metrics';

export interface ActivitiesDeps {
  /** The LLM REST service client and the answer length we ask of the cloud model. */
  llmService: CloudDeps;
  /** The `ollama` client, the default local model and its answer length. */
  ollama: LocalDeps;
  /** OUTPUT_DIR, and whether CSV cells that a spreadsheet would evaluate are escaped (default: yes). */
  output: ExportDeps;
  /** The worker's conversation and model-call metrics; unset, nothing is counted. */
  metrics?: ConversationMetrics;
}

/** The conversation's activities, built over injected clients so tests and benchmarks can pass fakes. */
export function createActivities({ llmService, ollama, output, metrics }: ActivitiesDeps) {
  return {
    askCloud: makeAskCloud(llmService, metrics),
    askLocal: makeAskLocal(ollama, metrics),
    exportTranscript: makeExportTranscript(output, metrics),
  };
}
