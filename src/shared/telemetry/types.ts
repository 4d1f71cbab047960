export interface Telemetry {
  /** Exports the spans still buffered, then stops; for short-lived processes (the CLI) before they exit. */
  shutdown(): Promise<void>;
}
