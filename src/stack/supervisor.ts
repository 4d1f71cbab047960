import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface ComponentSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Work done before the process starts, e.g. building what it loads. */
  prepare?: () => Promise<unknown>;
  /** Resolves once the component serves; rejects if it never does within `readyTimeoutMs`. */
  ready: () => Promise<boolean>;
  readyTimeoutMs: number;
  /** The user to run as, known once `prepare` has run (PostgreSQL refuses root); by default ours. */
  runAs?: () => RunAs | undefined;
  /** The signal that stops it cleanly; SIGTERM by default. */
  stopSignal?: NodeJS.Signals;
}

export interface RunAs {
  uid: number;
  gid: number;
}

interface Running {
  spec: ComponentSpec;
  child: ChildProcess;
  logFile: string;
  stopping: boolean;
}

export class ComponentFailedError extends Error {
  override readonly name = 'ComponentFailedError';
  constructor(
    readonly component: string,
    message: string,
    readonly logFile: string,
  ) {
    super(`${component}: ${message} (log: ${logFile})`);
  }
}

/**
 * Starts child processes each in its own process group, with output in a log file, waits until each is
 * ready, and stops all of them (children of children too) on `stopAll()`.
 */
export class Supervisor {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly logDir: string,
    private readonly onUnexpectedExit: (error: ComponentFailedError) => void,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  async start(spec: ComponentSpec): Promise<void> {
    await spec.prepare?.();
    const logFile = path.join(this.logDir, `${spec.name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(spec.command, spec.args, {
      ...spec.runAs?.(),
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Two sources, one file: neither may end it (the other could still write), the child's 'close' does.
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('close', () => log.end());
    const entry: Running = { spec, child, logFile, stopping: false };
    this.running.set(spec.name, entry);
    let exited = false;
    child.once('exit', (code, signal) => {
      exited = true;
      if (!entry.stopping) {
        this.onUnexpectedExit(
          new ComponentFailedError(
            spec.name,
            `exited unexpectedly (code ${code}, signal ${signal})`,
            logFile,
          ),
        );
      }
    });
    child.once('error', (err) => {
      exited = true;
      this.onUnexpectedExit(new ComponentFailedError(spec.name, `could not start: ${err.message}`, logFile));
    });
    const deadline = Date.now() + spec.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (exited) throw new ComponentFailedError(spec.name, 'exited before it was ready', logFile);
      if (await spec.ready().catch(() => false)) return;
      await delay(250);
    }
    throw new ComponentFailedError(spec.name, `not ready after ${spec.readyTimeoutMs} ms`, logFile);
  }

  /** Starts several components at once; waits for all of them, even when one fails, so none is left behind. */
  async startAll(specs: ComponentSpec[]): Promise<void> {
    await this.startChains(specs.map((spec) => [spec]));
  }

  /**
   * Starts chains of components at once, each chain in order (one needs the one before it, as the Temporal server
   * needs PostgreSQL); waits for all of them, even when one fails, so none is left behind.
   */
  async startChains(chains: ComponentSpec[][]): Promise<void> {
    const results = await Promise.allSettled(
      chains.map(async (chain) => {
        for (const spec of chain) await this.start(spec);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Gives a running component another name, e.g. to start a new one under its name beside it. */
  rename(from: string, to: string): void {
    const entry = this.running.get(from);
    if (!entry || this.running.has(to)) return;
    this.running.delete(from);
    this.running.set(to, entry);
  }

  pids(): Record<string, number> {
    return Object.fromEntries([...this.running].map(([name, r]) => [name, r.child.pid ?? -1]));
  }

  /**
   * Stops one component's process group: its stop signal (SIGTERM by default) then SIGKILL after `graceMs`, or
   * straight SIGKILL (a crash).
   */
  async stop(name: string, { signal, graceMs = 10_000 }: StopOptions = {}): Promise<void> {
    const entry = this.running.get(name);
    if (!entry) return;
    entry.stopping = true;
    await stopGroup(entry.child, signal ?? entry.spec.stopSignal ?? 'SIGTERM', graceMs);
    this.running.delete(name);
  }

  /** Stops every component, in reverse start order. */
  async stopAll(graceMs = 10_000): Promise<void> {
    for (const name of [...this.running.keys()].reverse()) {
      await this.stop(name, { graceMs });
    }
  }
}

export interface StopOptions {
  signal?: NodeJS.Signals;
  graceMs?: number;
}

async function stopGroup(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || !groupAlive(pid)) return;
  signalGroup(pid, signal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groupAlive(pid)) await delay(100);
  if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  while (groupAlive(pid)) await delay(50);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** True while any process of the group led by `pid` is alive (signal 0 probes without signalling). */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.ok;
}

export function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
