/**
 * The report's Conversations section: the filters, the table (filled by the viewer's script from viewer/index.js, a
 * page of rows at a time) and the viewer that shows a conversation as a chat, or two side by side. The markup is
 * fixed; everything from the campaign comes in through the script as text.
 */
import { VIEWER_SCRIPT } from './client';

/** The filters: the element's id, its label and what kind of field it is. */
const FILTERS: [id: string, label: string, kind: 'select' | 'seed'][] = [
  ['f-state', 'state', 'select'],
  ['f-end', 'end reason', 'select'],
  ['f-flag', 'flag', 'select'],
  ['f-seed', 'seed', 'seed'],
  ['f-pair', 'pair', 'select'],
  ['f-cell', 'grid cell', 'select'],
];

const COLUMNS = [
  '#',
  'seed',
  'pair',
  'grid cell',
  'repeat',
  'state',
  'end reason',
  'turns',
  'tokens',
  'cost',
  'flags',
  'judge',
  'transcript',
];

export const VIEWER_STYLE = `
.filters{display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center;margin:6px 0}.filters label{color:#555}
.filters select,.filters input{margin:0 0 0 4px;padding:3px 4px;width:auto;max-width:260px}#filter{width:240px}
#items td.num{text-align:right;font-variant-numeric:tabular-nums}#items tr.current{background:#fff6d8}
#items tbody tr{cursor:pointer}#items tbody tr:hover{background:#f4f8fc}
button{font:inherit;cursor:pointer}button.open,button.seed{border:0;background:none;color:#3b6ea5;padding:0;text-decoration:underline;white-space:nowrap}
.flags .flag{display:inline-block;font-size:11px;background:#f3e4cf;color:#6b4a16;border-radius:3px;padding:0 4px;margin:0 2px}
.pages{display:flex;gap:10px;align-items:center;margin:8px 0}.keys{color:#666;font-size:12px}
#viewer{position:fixed;inset:0;background:#fff;display:flex;flex-direction:column;z-index:10;outline:none}
#viewer[hidden]{display:none}body.viewing{overflow:hidden}
#viewer header{display:flex;flex-wrap:wrap;gap:8px;align-items:center;padding:8px 16px;border-bottom:1px solid #ddd;background:#f6f6f6}
#viewer header .grow{flex:1}.panes{flex:1;overflow:auto;padding:12px 16px;display:flex;gap:16px;align-items:flex-start}
.pane{flex:1;min-width:0;max-width:900px;margin:0 auto}.panes.compare .pane{max-width:none}
.summary{border-bottom:1px solid #eee;padding-bottom:8px;margin-bottom:10px}.summary .note{color:#555;font-style:italic}
.meta{color:#666;font-size:12px}.chat{display:flex;flex-direction:column;gap:8px}
.msg{border-radius:8px;padding:6px 10px;max-width:85%;border:1px solid #ddd}
.msg .head{font-size:12px;color:#555;margin-bottom:2px}.msg .text{white-space:pre-wrap;overflow-wrap:anywhere}
.msg.cloud{align-self:flex-start;background:#eef3fa;border-color:#c9d8ec}
.msg.local{align-self:flex-end;background:#eef7f0;border-color:#c8e2cf}.msg.seed{align-self:flex-end;background:#f7f2e8}`;

const filterField = ([id, label, kind]: (typeof FILTERS)[number]) =>
  kind === 'seed'
    ? `<label>${label}<input id="${id}" type="search" list="f-seeds" placeholder="seed id"></label>`
    : `<label>${label}<select id="${id}"><option value="">any</option></select></label>`;

/** The section's markup, the same for every campaign. */
export function viewerSection(): string {
  return [
    '<section id="conversations">',
    '<h2>Conversations</h2>',
    '<div class="filters">',
    '<input id="filter" type="search" placeholder="filter rows (seed, state, end reason…)">',
    ...FILTERS.map(filterField),
    '<datalist id="f-seeds"></datalist>',
    '<span id="shown" class="meta">loading viewer/index.js…</span>',
    '</div>',
    '<p class="keys">Click a row to read its conversation. In the viewer: → or j next, ← or k previous (through the ' +
      'filtered rows), c compare with another pair or grid cell, Esc back to the table.</p>',
    `<table id="items"><thead><tr>${COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody></tbody></table>`,
    '<nav class="pages"><button type="button" id="page-prev">‹ previous</button><span id="page-of"></span>' +
      '<button type="button" id="page-next">next ›</button></nav>',
    '<noscript><p class="warn">The table and the conversation viewer need JavaScript; the transcripts are in ' +
      'conversations/ and conversations.jsonl.</p></noscript>',
    '</section>',
    '<div id="viewer" hidden tabindex="-1" role="dialog" aria-modal="true" aria-label="conversation">',
    '<header><button type="button" id="viewer-close" title="back to the table (Esc)">✕ table</button>',
    '<button type="button" id="viewer-prev" title="previous (← or k)">‹ previous</button>',
    '<span id="viewer-position"></span>',
    '<button type="button" id="viewer-next" title="next (→ or j)">next ›</button><span class="grow"></span>',
    '<button type="button" id="viewer-compare" title="compare (c)">compare</button>',
    '<select id="viewer-vs" aria-label="compare with"></select></header>',
    '<div id="panes" class="panes"></div>',
    '</div>',
  ].join('\n');
}

/** The script element that runs the viewer; its text is what the page's Content-Security-Policy hashes. */
export const viewerScriptElement = () => `<script>${VIEWER_SCRIPT}</script>`;
