/** `npm run build:workflows [file]`: writes the prebuilt workflow bundle (default dist/workflow-bundle.js). */
import path from 'node:path';
import { writeWorkflowBundle } from '../src/stack/workflow-bundle-file';

writeWorkflowBundle(process.argv[2])
  .then((file) => console.log(`workflow bundle written to ${path.relative(process.cwd(), file)}`))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
