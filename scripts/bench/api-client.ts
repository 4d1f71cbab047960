/** Starts a conversation through the Conversation API and waits for its result (`?wait=true`). */
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

export async function converseViaApi(
  apiUrl: string,
  body: Record<string, unknown>,
): Promise<FinishedConversation> {
  const started = performance.now();
  const res = await fetch(`${apiUrl}/conversation?wait=true`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Omit<FinishedConversation, 'wallMs'> & { turns: number };
  const wallMs = performance.now() - started;
  if (res.status !== 200) throw new Error(`conversation failed: ${res.status} ${JSON.stringify(json)}`);
  return { ...json, completedTurns: json.turns, wallMs };
}
