import { readFileSync } from 'node:fs';
import { GUARD_BASELINE_FILE, overLimits, type GuardBaseline } from '../../bench/guard';

const baseline = JSON.parse(readFileSync(GUARD_BASELINE_FILE, 'utf8')) as GuardBaseline;
const recorded = {
  eventsPerTurn: baseline.eventsPerTurn.recorded ?? 0,
  eventsPerTurnVsFloor: baseline.eventsPerTurnVsFloor.recorded ?? 0,
  workflowTasksPerTurn: baseline.workflowTasksPerTurn.recorded ?? 0,
  payloadBytesPerTurn: baseline.payloadBytesPerTurn.recorded ?? 0,
  cpuPerTurnVsFloor: 1,
  workerPeakRssMb: 1,
};

describe('the bench guard', () => {
  it('has the history figures of a standard conversation recorded', () => {
    for (const key of ['eventsPerTurn', 'eventsPerTurnVsFloor', 'workflowTasksPerTurn'] as const)
      expect(baseline[key].recorded).toBeGreaterThan(0);
  });

  it('passes the recorded figures, and payload bytes within their margin', () => {
    expect(overLimits(baseline, recorded)).toEqual([]);
    expect(
      overLimits(baseline, { ...recorded, payloadBytesPerTurn: recorded.payloadBytesPerTurn * 1.04 }),
    ).toEqual([]);
  });

  it('fails one more event in a 5-turn conversation, naming the figure', () => {
    const over = overLimits(baseline, { ...recorded, eventsPerTurn: recorded.eventsPerTurn + 1 / 5 });
    expect(over).toHaveLength(1);
    expect(over[0]).toMatch(/^eventsPerTurn /);
  });

  it('checks CPU and RSS once they are recorded, with their margin', () => {
    const measured: GuardBaseline = {
      ...baseline,
      cpuPerTurnVsFloor: { recorded: 1.2, margin: 0.1 },
      workerPeakRssMb: { recorded: 300, margin: 0.1 },
    };
    expect(overLimits(measured, { ...recorded, cpuPerTurnVsFloor: 1.3, workerPeakRssMb: 320 })).toEqual([]);
    expect(overLimits(measured, { ...recorded, cpuPerTurnVsFloor: 1.4, workerPeakRssMb: 340 })).toHaveLength(
      2,
    );
  });
});
