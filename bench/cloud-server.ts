/**
 * Benchmark helper process for `cloud.ts`: `direct` (a bare HTTP server calling the model provider itself),
 * `gateway` (the local API gateway and the real Lambda handler) or `service <gatewayUrl>` (the LLM REST service),
 * all with the same zero-latency provider and production logging (INFO, to stdout). Reports its URL over IPC.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createServer } from 'node:http';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadLambdaConfig } from '../src/models/lambda-config';
import { createHandler } from '../lambda/handler';
import type { GenerateInput, ModelProvider } from '../lambda/providers';
import { createGatewayApp } from '../src/gateway/app';
import { loadConfig } from '../src/shared/config';
import { createLlmService, llmServiceOptions } from '../src/llm-service/service';
import { createLogger } from '../src/shared/logger';

const zeroLatency: ModelProvider = {
  name: 'zero-latency',
  generate: async (input: GenerateInput) => ({
    text: `echo: ${input.messages.at(-1)?.content ?? ''}`,
    model: 'zero-latency',
    stopReason: 'end_turn',
    inputTokens: 3,
    outputTokens: 2,
  }),
};

/** The baseline: JSON in, the provider, JSON out, with nothing in between. */
const direct: RequestListener = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { inputText } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { inputText: string };
    void zeroLatency
      .generate({ messages: [{ role: 'user', content: inputText }], maxTokens: 150 })
      .then((out) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ response: out.text, model: out.model, stopReason: out.stopReason }));
      });
  });
};

function app(mode: string | undefined): RequestListener {
  const config = loadConfig();
  switch (mode) {
    case 'direct':
      return direct;
    case 'gateway': {
      const handler = createHandler({
        provider: zeroLatency,
        config: loadLambdaConfig({}),
        logger: new Logger({ serviceName: 'llm-lambda', logLevel: 'INFO' }),
      });
      return createGatewayApp({ handler, logger: createLogger('gateway', 'info') });
    }
    case 'service': {
      const logger = createLogger('llm-service', 'info');
      return createLlmService({ ...llmServiceOptions(config, logger), gatewayUrl: process.argv[3]! }).app;
    }
    default:
      throw new Error(`unknown mode ${mode}; expected direct, gateway or service`);
  }
}

const server = createServer(app(process.argv[2]));
server.listen(0, '127.0.0.1', () => {
  process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
// Exit through process.exit so that `--cpu-prof` can write its profile when the benchmark stops this process.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
