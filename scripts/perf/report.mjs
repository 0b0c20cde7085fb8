// Prints the side-by-side table of measure-desktop.sh from the JSON lines of measure.mjs.
//   node report.mjs RESULTS.jsonl CASES IN_SCOPE USER
import { readFileSync } from 'node:fs';

const [file, cases, inScope, user] = process.argv.slice(2);
const rows = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l));

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const mb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : 'n/a');
const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a');
const pick = (prefix) => rows.filter((r) => new RegExp(`^${prefix}-\\d+$`).test(r.label));

const empty = pick('empty');
const cold = pick('app');
const synced = rows.find((r) => r.label === 'app-sync');
const again = rows.find((r) => r.label === 'app-sync-again');

const floorStart = median(empty.map((r) => r.startupMs));
const floorPss = median(empty.map((r) => r.pssKb));
const appStart = median(cold.map((r) => r.startupMs));
const appPss = median(cold.map((r) => r.pssKb));
const cachedPss = synced?.loggedInPssKb;
const verdict = (ok) => (ok === undefined ? '' : ok ? 'PASS' : 'FAIL');

const table = [
  ['measure', 'empty Tauri (floor)', 'minsheng-desktop', 'target', ''],
  [
    `first screen, median of ${cold.length} cold launches`,
    ms(floorStart),
    ms(appStart),
    '< 1500 ms',
    verdict(Number.isFinite(appStart) ? appStart < 1500 : undefined),
  ],
  ['PSS at first screen (tree)', mb(floorPss), mb(appPss), '', ''],
  [
    `PSS, ${inScope} cases cached (after login + first sync, case list open)`,
    mb(floorPss),
    mb(cachedPss),
    `<= ${mb(floorPss + 80 * 1024)}`,
    verdict(Number.isFinite(cachedPss) ? cachedPss <= floorPss + 80 * 1024 : undefined),
  ],
  [
    'second launch with the cache filled: first screen',
    '',
    again ? ms(again.startupMs) : 'n/a',
    '< 1500 ms',
    verdict(again ? again.startupMs < 1500 : undefined),
  ],
  [
    'same, after resume (login-resume) and the case list: PSS',
    mb(floorPss),
    mb(again?.resumedPssKb),
    `<= ${mb(floorPss + 80 * 1024)}`,
    verdict(Number.isFinite(again?.resumedPssKb) ? again.resumedPssKb <= floorPss + 80 * 1024 : undefined),
  ],
];
const widths = table[0].map((_, i) => Math.max(...table.map((r) => [...r[i]].length)));
const line = (r) => `| ${r.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join(' | ')} |`;
console.log();
console.log(line(table[0]));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table.slice(1)) console.log(line(r));
console.log();
console.log(`seeded cases: ${cases}; cached via ${user}'s first sync: ${inScope} in scope`);
if (synced) {
  console.log(
    `login (the app runs the first sync inside it): ${ms(synced.loginMs)}; data dir afterwards ${(synced.dataDirBytes / 1048576).toFixed(1)} MB; case list opened: ${synced.caseListShown}`,
  );
  console.log(`processes with cache: ${synced.loggedInProcesses}`);
}
if (again) console.log(`second launch: 继续 to the workbench ${ms(again.resumeMs)}; processes: ${again.resumedProcesses}`);
if (empty[0]) console.log(`processes, floor:      ${empty[0].processes}`);
if (cold[0]) console.log(`processes, app:        ${cold[0].processes}`);
console.log(`per launch: ${rows.map((r) => `${r.label}=${ms(r.startupMs)}/${mb(r.pssKb)}`).join(' ')}`);

// Where the memory is: PSS per process and kind (anon = heaps, JS; file = libraries and
// mapped files; shmem = shared buffers) in each phase. Repeated launches: the median one.
const medianRow = (rs) => {
  const v = rs.filter((r) => Number.isFinite(r.pssKb)).sort((a, b) => a.pssKb - b.pssKb);
  return v[(v.length - 1) >> 1];
};
const phases = [
  ['floor, first screen', medianRow(empty)?.detail],
  ['app, login screen', medianRow(cold)?.detail],
  ['app, cached after first sync + case list', synced?.loggedInDetail],
  ['app, second launch: login screen', again?.detail],
  ['app, second launch: resumed + case list', again?.resumedDetail],
].filter(([, d]) => Array.isArray(d));
if (phases.length) {
  const f = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : '-');
  console.log();
  console.log('PSS by process, MB: total (anon / file / shmem)');
  for (const [name, detail] of phases) {
    const sum = detail.reduce((a, d) => a + d.Pss, 0);
    const cells = detail.map((d) => `${d.comm} ${f(d.Pss)} (${f(d.Pss_Anon)}/${f(d.Pss_File)}/${f(d.Pss_Shmem)})`);
    console.log(`  ${name}: ${f(sum)} = ${cells.join(' + ')}`);
  }
}
