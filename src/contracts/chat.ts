/** One message of a conversation window, as the workflow, the REST service's JSON API and the Lambda see it. */
export type ChatRole = 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}
