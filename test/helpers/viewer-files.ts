/** The report viewer's script files read back as the page reads them: the value each hands to `reportViewer`. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConversationView, ViewerIndex } from '../../src/campaign/dataset/viewer/data';

function called<T>(script: string, fn: 'index' | 'conversation'): T {
  let value: T | undefined;
  let calls = 0;
  new Function('reportViewer', script)({
    [fn]: (v: T) => {
      value = v;
      calls++;
    },
  });
  if (calls !== 1) throw new Error(`the script called reportViewer.${fn} ${calls} times`);
  return value!;
}

export const indexOfScript = (script: string) => called<ViewerIndex>(script, 'index');
export const conversationOfScript = (script: string) => called<ConversationView>(script, 'conversation');

/** viewer/index.js of the campaign folder `folder`. */
export const readViewerIndex = (folder: string) =>
  indexOfScript(readFileSync(path.join(folder, 'viewer', 'index.js'), 'utf8'));
