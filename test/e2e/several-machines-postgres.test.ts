/**
 * Workers on several machines, on one, on the Temporal server on PostgreSQL (see test/helpers/several-machines.ts;
 * scripts/setup-postgres-backend.sh builds the backend first, as postgres-backend.test.ts does).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describeSeveralMachines } from '../helpers/several-machines';
import { repoRoot } from '../helpers/tools';

beforeAll(async () => {
  await promisify(execFile)('bash', [path.join(repoRoot, 'scripts/setup-postgres-backend.sh')], {
    timeout: 45 * 60_000,
  });
}, 46 * 60_000);

describeSeveralMachines({ env: { TEMPORAL_BACKEND: 'postgres' }, start: [['postgres'], ['temporal']] });
