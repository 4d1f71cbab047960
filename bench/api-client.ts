/** Starts a conversation through the Conversation API and waits for its result (`?wait=true`). */
import { bearerHeaders } from '../src/shared/auth';

export interface FinishedConversation {
  wallMs: number;
  completedTurns: number;
  endReason: string;
  conversation: {
    cloudLatencyMs: number;
    localLatencyMs: number;
    cloudUsage: { outputTokens: number };
    localUsage: { outputTokens: number };
  }[];
}

/** Where the API is, and its key when CONVERSATION_API_KEY is set for it. */
export interface ApiTarget {
  apiUrl: string;
  apiKey?: string;
}

export async function converseViaApi(
  { apiUrl, apiKey }: ApiTarget,
  body: Record<string, unknown>,
): Promise<FinishedConversation> {
  const started = performance.now();
  const res = await fetch(`${apiUrl}/conversation?wait=true`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...bearerHeaders(apiKey) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Omit<FinishedConversation, 'wallMs'> & {
    turns: number;
    status?: string;
  };
  const wallMs = performance.now() - started;
  // A run that failed, was cancelled, terminated or timed out is a 200 too, with its close status.
  if (res.status !== 200 || json.status !== 'COMPLETED') {
    throw new Error(`conversation failed: ${res.status} ${JSON.stringify(json)}`);
  }
  return { ...json, completedTurns: json.turns, wallMs };
}
