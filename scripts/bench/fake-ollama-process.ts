/** Benchmark helper process: a fake Ollama with a fixed latency (FAKE_LATENCY_MS) on FAKE_OLLAMA_PORT. */
import { FakeOllama } from '../../test/fixtures/ollama-server';

const latencyMs = Number(process.env.FAKE_LATENCY_MS ?? '0');
const port = Number(process.env.FAKE_OLLAMA_PORT ?? '0');
const reply = (last: string, call: number) => `Reply ${call} to ${last.length} characters: what comes next?`;

new FakeOllama({ latencyMs, reply })
  .start(port)
  .then((url) => console.log(`fake ollama on ${url} with ${latencyMs} ms latency`))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
