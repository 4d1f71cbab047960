import path from 'node:path';
import { componentSpecs, type ComponentName } from '../../src/stack/components';
import {
  Supervisor,
  type ComponentFailedError,
  type ComponentSpec,
  type StopOptions,
} from '../../src/stack/supervisor';
import { closeTaskQueueProbe } from '../../src/stack/task-queue';
import { loadConfig } from '../../src/shared/config';
import { isolatedStackEnv } from '../../src/stack/isolated-env';

/**
 * Starts single stack components (the same specs `npm start` uses) with test-specific environment, e.g. a
 * Temporal dev server on a free port with its SQLite file in a temp folder, or a worker pointed at fake models.
 */
export class TestComponents {
  readonly failures: ComponentFailedError[] = [];
  private readonly supervisor: Supervisor;

  constructor(readonly env: Record<string, string>) {
    this.supervisor = new Supervisor(path.join(env.STACK_DATA_DIR!, 'logs'), (e) => this.failures.push(e));
  }

  static async create(extra: Record<string, string> = {}): Promise<TestComponents> {
    return new TestComponents({ ...(await isolatedStackEnv('llm-conv-components-')), ...extra });
  }

  /**
   * Starts a component under `label` (default: its name), so a test can run a second worker beside the first;
   * `args` replaces its command line (e.g. a worker entry with test activities), `env` adds to this one's
   * environment for this component alone (e.g. a worker on its own OUTPUT_DIR, as on another machine).
   */
  async start(
    name: ComponentName,
    label: string = name,
    { args, env = {} }: { args?: ComponentSpec['args']; env?: Record<string, string> } = {},
  ): Promise<void> {
    const componentEnv = { ...this.env, ...env };
    const spec = componentSpecs(loadConfig(componentEnv), componentEnv.STACK_DATA_DIR!)[name];
    await this.supervisor.start({
      ...spec,
      name: label,
      env: { ...spec.env, ...componentEnv },
      ...(args && { args }),
    });
    await closeTaskQueueProbe();
  }

  /** The process id of the component started under `label` (a worker's Temporal identity is `<pid>@<host>`). */
  pid(label: string): number | undefined {
    return this.supervisor.pids()[label];
  }

  stop(label: string, options?: StopOptions): Promise<void> {
    return this.supervisor.stop(label, options);
  }

  async stopAll(): Promise<void> {
    await this.supervisor.stopAll();
  }
}
