/**
 * The cold-start baseline: a Bedrock Lambda handler written the usual way, after the AWS SDK v3 Converse example
 * (an ES module importing the SDK from node_modules, unbundled), calling Converse once per invocation.
 */
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

// The one departure from the example: HTTP/1.1, which the local fake Bedrock speaks (as our handler does).
const client = new BedrockRuntimeClient({
  region: process.env.AWS_REGION,
  requestHandler: new NodeHttpHandler(),
});
const modelId = process.env.BEDROCK_MODEL_ID ?? 'anthropic.claude-3-haiku-20240307-v1:0';

export const handler = async (event) => {
  const { inputText } = JSON.parse(event.body);
  const response = await client.send(
    new ConverseCommand({
      modelId,
      messages: [{ role: 'user', content: [{ text: inputText }] }],
      inferenceConfig: { maxTokens: 512, temperature: 0.5 },
    }),
  );
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ response: response.output.message.content[0].text }),
  };
};
