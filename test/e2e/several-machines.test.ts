/** Workers on several machines, on one, on the Temporal dev server (see test/helpers/several-machines.ts). */
import { describeSeveralMachines } from '../helpers/several-machines';

describeSeveralMachines({ env: {}, start: [['temporal']] });
