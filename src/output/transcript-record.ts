/** A conversation's transcript as exportTranscript wrote its JSONL twin (`turns` holds every turn as it was). */
import type { EndReason, Turn } from '../contracts/conversation';
import { readConfined } from './campaign-files';

export interface Transcript {
  conversationId: string;
  endReason: EndReason;
  turns: Turn[];
}

/** Undefined when the file does not exist. */
export async function readTranscript(outputDir: string, jsonlPath: string): Promise<Transcript | undefined> {
  const text = await readConfined(outputDir, jsonlPath);
  if (text === undefined) return undefined;
  const line = JSON.parse(text.split('\n')[0] ?? '') as Partial<Transcript>;
  if (typeof line.conversationId !== 'string' || !Array.isArray(line.turns)) {
    throw new Error(`${jsonlPath} is not a transcript with turns (written by an older export?)`);
  }
  return { conversationId: line.conversationId, endReason: line.endReason ?? 'error', turns: line.turns };
}
