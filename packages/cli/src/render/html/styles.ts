/**
 * The page's stylesheet, inlined into every report. System fonts only (nothing is fetched); light
 * and dark schemes; visible focus outlines everywhere.
 */
export const PAGE_CSS = String.raw`
:root {
  --bg: #f4f6f9; --panel: #fff; --text: #1d2433; --muted: #5b6577; --faint: #8a93a3;
  --border: #dfe3ea; --accent: #3451b2; --accent-soft: #e8edfc; --focus: #1a56db;
  --good: #1e7b46; --good-soft: #e3f4ea; --bad: #b42318; --bad-soft: #fdecea; --warn: #9a6700; --warn-soft: #fff4d6;
  --dir-bg: #e9edf2; --dir-stroke: #c3cad5; --code-bg: #f3f5f8; --shadow: 0 1px 2px rgba(16,24,40,.06), 0 1px 3px rgba(16,24,40,.08);
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #10141b; --panel: #181d26; --text: #e6e9ef; --muted: #a3acbb; --faint: #7d8697;
    --border: #2c3441; --accent: #8ea6ff; --accent-soft: #243056; --focus: #8ea6ff;
    --good: #5cc98a; --good-soft: #15301f; --bad: #ff8a80; --bad-soft: #3a1716; --warn: #f0c05a; --warn-soft: #35290c;
    --dir-bg: #232a35; --dir-stroke: #3a4454; --code-bg: #11151c; --shadow: none;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--text); background: var(--bg); }
a { color: var(--accent); }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 3px; }
.wrap { max-width: 1280px; margin: 0 auto; padding: 0 24px 48px; }
header.top { background: var(--panel); border-bottom: 1px solid var(--border); margin-bottom: 20px; }
header.top .wrap { padding-top: 18px; padding-bottom: 14px; display: flex; gap: 16px; align-items: flex-end; flex-wrap: wrap; }
.brand { font-weight: 700; letter-spacing: .02em; color: var(--accent); font-size: 13px; text-transform: uppercase; }
h1 { font-size: 22px; margin: 2px 0 4px; word-break: break-all; }
h1 .arrow { color: var(--faint); font-weight: 400; margin: 0 6px; }
.meta { color: var(--muted); font-size: 13px; display: flex; flex-wrap: wrap; gap: 4px 14px; }
.meta b { color: var(--text); font-weight: 600; }
nav.toc { margin-left: auto; display: flex; gap: 4px; flex-wrap: wrap; }
nav.toc a { text-decoration: none; color: var(--muted); padding: 4px 10px; border-radius: 999px; font-size: 13px; }
nav.toc a:hover { background: var(--accent-soft); color: var(--accent); }
section { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 18px 20px; margin: 0 0 20px; box-shadow: var(--shadow); }
section > h2 { font-size: 17px; margin: 0 0 4px; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
section > h2 .sub, .note { color: var(--muted); font-size: 13px; font-weight: 400; }
.note { margin: 4px 0 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(185px, 1fr)); gap: 12px; margin-bottom: 20px; }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 12px 14px; box-shadow: var(--shadow); }
.card .label { color: var(--muted); font-size: 12.5px; font-weight: 600; }
.card .value { font-size: 24px; font-weight: 700; margin: 2px 0; font-variant-numeric: tabular-nums; white-space: nowrap; }
.card .value small { font-size: 13px; font-weight: 500; color: var(--muted); }
.card .kind { display: inline-block; font-size: 11px; font-weight: 600; padding: 0 7px; border-radius: 999px; background: var(--accent-soft); color: var(--accent); margin-right: 6px; }
.card .kind.cmp { background: var(--warn-soft); color: var(--warn); }
.card .detail { color: var(--muted); font-size: 12.5px; }
.card.bad .value { color: var(--bad); }
.card.good .value { color: var(--good); }
.delta-good { color: var(--good); font-weight: 600; }
.delta-bad { color: var(--bad); font-weight: 600; }
.toolbar { display: flex; flex-wrap: wrap; gap: 10px 18px; align-items: center; margin: 10px 0; }
.toolbar label { display: inline-flex; gap: 6px; align-items: center; }
select, input[type=search], button { font: inherit; color: inherit; }
select, input[type=search] { background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 5px 8px; max-width: 520px; }
button { cursor: pointer; }
.btn { background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 4px 10px; }
.btn:hover:not(:disabled) { border-color: var(--accent); color: var(--accent); }
.btn:disabled { opacity: .45; cursor: default; }
.seg { display: inline-flex; border: 1px solid var(--border); border-radius: 7px; overflow: hidden; }
.seg label { padding: 4px 12px; cursor: pointer; }
.seg input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.seg label:has(input:checked) { background: var(--accent); color: #fff; }
.seg label:has(input:focus-visible) { outline: 3px solid var(--focus); outline-offset: -3px; }
.crumbs { display: flex; flex-wrap: wrap; align-items: center; gap: 2px; font-family: var(--mono); font-size: 13px; min-height: 28px; }
.crumbs button { border: 0; background: none; color: var(--accent); padding: 2px 4px; border-radius: 4px; font: inherit; }
.crumbs button:hover { background: var(--accent-soft); }
.crumbs [aria-current] { color: var(--text); font-weight: 600; padding: 2px 4px; }
.crumbs .sep { color: var(--faint); }
.status { color: var(--muted); font-size: 13px; margin: 2px 0 8px; }
.status b { color: var(--text); }
.tm-layout { display: grid; grid-template-columns: minmax(0, 1fr) 300px; gap: 16px; }
@media (max-width: 980px) { .tm-layout { grid-template-columns: 1fr; } }
.tm-host { position: relative; min-width: 0; }
.tm-host svg.tm { display: block; width: 100%; border-radius: 6px; background: var(--dir-bg); user-select: none; }
.tm-host svg.tm:focus { outline: none; }
.tm-node { stroke: var(--panel); stroke-width: 1; }
.tm-dir-open { fill: var(--dir-bg); stroke: var(--dir-stroke); }
.tm-wasted { stroke: #b42318; stroke-width: 1.2; }
.tm-item { cursor: pointer; }
.tm-item:focus { outline: none; }
.tm-label { font-size: 11px; pointer-events: none; }
.tm-label.sz { opacity: .85; }
.tm-head { font-size: 11px; font-weight: 600; fill: var(--text); pointer-events: none; }
.tm-head .sz { font-weight: 400; fill: var(--muted); }
.tm-ring-outer { fill: none; stroke: #fff; stroke-width: 5; pointer-events: none; }
.tm-ring { fill: none; stroke: #111827; stroke-width: 2.5; pointer-events: none; }
.tm-hl-on .tm-node[data-cat]:not(.tm-hl) { opacity: .25; }
.tm-empty { padding: 60px 20px; text-align: center; color: var(--muted); background: var(--dir-bg); border-radius: 6px; }
.tm-tip { position: absolute; z-index: 5; pointer-events: none; background: #111827; color: #f9fafb; border-radius: 6px; padding: 7px 10px; font-size: 12.5px; max-width: 420px; box-shadow: 0 6px 20px rgba(0,0,0,.25); }
.tm-tip .p { font-family: var(--mono); font-size: 12px; word-break: break-all; font-weight: 600; }
.tm-tip .l { color: #cbd2dd; }
.tm-info { margin-top: 8px; border: 1px solid var(--border); border-radius: 6px; padding: 8px 12px; min-height: 56px; font-size: 13px; background: var(--panel); }
.tm-info .p { font-family: var(--mono); font-size: 12.5px; word-break: break-all; font-weight: 600; }
.tm-info .l { color: var(--muted); }
.side h3 { font-size: 13px; margin: 0 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.side ol { list-style: none; margin: 0 0 16px; padding: 0; }
.side li button { width: 100%; display: grid; grid-template-columns: 14px minmax(0, 1fr) auto; gap: 8px; align-items: center; text-align: left; border: 0; background: none; padding: 4px 6px; border-radius: 5px; }
.side li button:hover { background: var(--accent-soft); }
.side .nm { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-family: var(--mono); font-size: 12.5px; }
.side .sz { font-variant-numeric: tabular-nums; color: var(--muted); font-size: 12.5px; white-space: nowrap; }
.legend li { display: grid; grid-template-columns: 14px minmax(0, 1fr) auto; gap: 8px; align-items: center; padding: 3px 6px; border-radius: 5px; font-size: 12.5px; }
.legend li:hover, .legend li:focus-visible { background: var(--accent-soft); }
.sw { width: 14px; height: 14px; display: block; border-radius: 3px; }
.threshold { font-size: 12.5px; color: var(--muted); margin-top: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--border); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; white-space: nowrap; position: sticky; top: 0; background: var(--panel); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:hover { background: var(--bg); }
th button { border: 0; background: none; font: inherit; color: inherit; padding: 0; display: inline-flex; gap: 4px; align-items: center; }
th button .ar { opacity: .35; font-size: 10px; }
th[aria-sort] button .ar { opacity: 1; color: var(--accent); }
.scroll { max-height: 560px; overflow: auto; border: 1px solid var(--border); border-radius: 6px; }
.scroll table th { border-bottom: 1px solid var(--border); }
.instr { font-family: var(--mono); font-size: 12px; color: var(--text); overflow-wrap: anywhere; max-width: 640px; }
.instr.clip { display: -webkit-box; -webkit-line-clamp: 2; line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.bar { display: flex; height: 12px; border-radius: 3px; overflow: hidden; background: var(--dir-bg); min-width: 2px; }
td .bar.share { min-width: 140px; }
.barbox { width: 170px; }
.bar span { display: block; height: 100%; }
.pill { display: inline-block; font-size: 11px; font-weight: 700; letter-spacing: .04em; text-transform: uppercase; padding: 1px 8px; border-radius: 999px; }
.sev-high { background: var(--bad-soft); color: var(--bad); }
.sev-medium { background: var(--warn-soft); color: var(--warn); }
.sev-low, .sev-info { background: var(--accent-soft); color: var(--accent); }
.finding { border: 1px solid var(--border); border-radius: 8px; margin: 8px 0; }
.finding > summary { display: grid; grid-template-columns: 78px minmax(0, 1fr) auto; gap: 10px; align-items: center; padding: 9px 14px 9px 26px; cursor: pointer; list-style: none; position: relative; }
.finding > summary::-webkit-details-marker { display: none; }
.finding > summary::before { content: "\25b8"; position: absolute; left: 10px; top: 50%; transform: translateY(-50%); color: var(--faint); font-size: 11px; }
.finding[open] > summary::before { content: "\25be"; }
.finding > summary .pill { justify-self: start; }
.finding .ft { font-weight: 600; }
.finding .fs { color: var(--muted); font-size: 12.5px; white-space: nowrap; font-variant-numeric: tabular-nums; }
.finding .fs b { color: var(--good); font-size: 14px; }
.finding .fbody { padding: 0 14px 12px 114px; }
@media (max-width: 700px) { .finding .fbody { padding-left: 14px; } .finding > summary { grid-template-columns: 1fr; } }
.finding .saves { font-size: 13px; color: var(--muted); }
.finding pre { background: var(--code-bg); border: 1px solid var(--border); border-radius: 6px; padding: 10px 12px; overflow: auto; margin: 6px 0; white-space: pre-wrap; word-break: break-word; }
.finding .fixhead { font-size: 12px; font-weight: 600; color: var(--muted); margin-top: 8px; }
.finding ul { margin: 6px 0; padding-left: 18px; font-size: 12.5px; }
.cat-rows { display: grid; grid-template-columns: minmax(160px, 280px) minmax(0, 1fr) auto; gap: 0; align-items: center; }
.cat-rows > * { padding: 4px 0; border-bottom: 1px solid var(--border); align-self: stretch; display: flex; flex-direction: column; justify-content: center; }
.cat-rows .name { flex-direction: row; justify-content: flex-start; display: flex; gap: 8px; align-items: center; font-size: 13px; }
.cat-rows .bars { display: flex; flex-direction: column; justify-content: center; gap: 3px; padding: 4px 14px; }
.cat-rows .b { height: 10px; border-radius: 2px; min-width: 1px; }
.cat-rows .b.before { background: var(--faint); opacity: .55; }
.cat-rows .nums { font-variant-numeric: tabular-nums; font-size: 12.5px; white-space: nowrap; flex-direction: row; align-items: center; justify-content: flex-end; gap: 4px; }
.keyhint { font-size: 12px; color: var(--faint); }
kbd { font-family: var(--mono); font-size: 11px; border: 1px solid var(--border); border-bottom-width: 2px; border-radius: 4px; padding: 0 4px; background: var(--panel); }
.warnings li { color: var(--warn); margin: 2px 0; }
footer { color: var(--faint); font-size: 12.5px; text-align: center; margin-top: 10px; }
.chg-added { color: var(--bad); } .chg-removed { color: var(--good); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
