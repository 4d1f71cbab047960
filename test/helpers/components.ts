import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { componentSpecs, type ComponentName } from '../../scripts/stack/components';
import { Supervisor, type ComponentFailedError, type StopOptions } from '../../scripts/stack/supervisor';
import { closeTaskQueueProbe } from '../../scripts/stack/task-queue';
import { loadConfig } from '../../src/shared/config';
import { freePort } from '../../scripts/stack/ports';

/**
 * Starts single stack components (the same specs `npm start` uses) with test-specific environment, e.g. a
 * Temporal dev server on a free port with its SQLite file in a temp folder, or a worker pointed at fake models.
 */
export class TestComponents {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'llm-conv-components-'));
  readonly failures: ComponentFailedError[] = [];
  private readonly supervisor = new Supervisor(path.join(this.dir, 'logs'), (e) => this.failures.push(e));

  constructor(readonly env: Record<string, string>) {}

  static async create(extra: Record<string, string> = {}): Promise<TestComponents> {
    const [temporal, ui, metrics] = await Promise.all([freePort(), freePort(), freePort()]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llm-conv-env-'));
    mkdirSync(path.join(dir, 'data'));
    return new TestComponents({
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${ui}`,
      WORKER_METRICS_ADDRESS: `127.0.0.1:${metrics}`,
      STACK_DATA_DIR: path.join(dir, 'data'),
      OUTPUT_DIR: path.join(dir, 'output'),
      LOG_LEVEL: 'warn',
      ...extra,
    });
  }

  /** Starts a component under `label` (default: its name), so a test can run a second worker beside the first. */
  async start(name: ComponentName, label: string = name): Promise<void> {
    const spec = componentSpecs(loadConfig(this.env), this.env.STACK_DATA_DIR!)[name];
    await this.supervisor.start({ ...spec, name: label, env: { ...spec.env, ...this.env } });
    await closeTaskQueueProbe();
  }

  stop(label: string, options?: StopOptions): Promise<void> {
    return this.supervisor.stop(label, options);
  }

  async stopAll(): Promise<void> {
    await this.supervisor.stopAll();
  }
}
