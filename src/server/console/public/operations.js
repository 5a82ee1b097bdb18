/* Media (recent ProcessProfilePhoto outcomes), Rankings (snapshot, run now), Cost. */
import { api, duration, every, failure, fill, fmt, h, state, usd } from './ui.js';

export async function mediaPage(main) {
  const list = h('div', { 'data-testid': 'media' });
  main.append(h('h1', {}, 'Media'), h('p', { class: 'muted' }, 'ProcessProfilePhoto outcomes in this server since it started, newest first.'), list);
  const draw = async () => {
    const { items } = await api('media');
    list.replaceChildren(
      items.length === 0
        ? h('p', { class: 'muted' }, 'No upload processed yet.')
        : h(
            'table',
            {},
            h('tr', {}, ['', 'When', 'Upload', 'Outcome', 'Reason'].map((t) => h('th', {}, t))),
            items.map((e) =>
              h(
                'tr',
                { 'data-testid': 'media-event', dataset: { status: e.status } },
                h('td', {}, e.thumbnailUrl ? h('img', { class: 'thumb', src: e.thumbnailUrl, alt: 'thumbnail' }) : ''),
                h('td', {}, new Date(e.at).toLocaleTimeString()),
                h('td', { class: 'muted' }, e.upload),
                h('td', {}, e.status),
                h('td', {}, e.reason || ''),
              ),
            ),
          ),
    );
  };
  await draw();
  every(3000, () => draw().catch(() => {}));
}

// Rankings: the current snapshot by scope, the last run, run now with progress.
export async function rankingsPage(main) {
  const scope = h('select', { 'data-testid': 'scope' }, ['GLOBAL', 'COUNTRY', 'CITY'].map((s) => h('option', { value: s }, s)));
  const pais = h('input', { placeholder: 'pais' });
  const ciudad = h('input', { placeholder: 'ciudad' });
  const info = h('div', { class: 'facts', 'data-testid': 'rankings-info' });
  const run = h('div', { 'data-testid': 'rankings-run' });
  const table = h('div', { 'data-testid': 'rankings-table' });
  const draw = async () => {
    const q = new URLSearchParams({ scope: scope.value });
    if (pais.value) q.set('pais', pais.value);
    if (ciudad.value) q.set('ciudad', ciudad.value);
    let o;
    try {
      o = await api(`rankings?${q}`);
    } catch (err) {
      return failure(table, err);
    }
    const c = o.current;
    info.replaceChildren(
      ...[
        ['Snapshot', c ? c.date : 'none yet'],
        ['Users ranked', c ? fmt(c.users) : '-'],
        ['Next scheduled run', o.nextRun ? new Date(o.nextRun).toLocaleString() : 'not scheduled'],
      ].map(([k, v]) => h('div', {}, h('span', {}, k), h('b', { 'data-testid': `rankings-${k.split(' ')[0].toLowerCase()}` }, v))),
    );
    const r = o.run;
    run.dataset.state = r ? r.state : 'none';
    fill(
      run,
      r
        ? h(
            'p',
            {},
            `Last run (${r.trigger}, started ${new Date(r.startedAt).toLocaleTimeString()}): `,
            h('b', {}, r.state),
            r.progress ? ` - ${r.progress.phase} ${fmt(r.progress.done)}${r.progress.total !== undefined ? `/${fmt(r.progress.total)}` : ''}` : '',
            r.progress && r.progress.total ? h('progress', { max: r.progress.total, value: r.progress.done }) : '',
            r.error ? ` - ${r.error}` : '',
          )
        : h('p', { class: 'muted' }, 'No run since this server started.'),
    );
    table.replaceChildren(
      o.page.items.length === 0
        ? h('p', { class: 'muted' }, 'Nobody ranked here.')
        : h(
            'table',
            {},
            h('tr', {}, ['Rank', 'Nickname', 'Points', 'Level', 'City', 'Country'].map((t) => h('th', {}, t))),
            o.page.items.map((e) =>
              h('tr', { 'data-testid': 'ranking' }, h('td', { class: 'num' }, e.rank), h('td', {}, e.nickname), h('td', { class: 'num' }, fmt(e.puntos)), h('td', { class: 'num' }, e.nivel), h('td', {}, e.ciudad || ''), h('td', {}, e.pais || '')),
            ),
          ),
    );
    return r;
  };
  const runNow = async () => {
    try {
      await api('rankings/run', { method: 'POST' });
    } catch (err) {
      return failure(run, err);
    }
    const poll = setInterval(async () => {
      const r = await draw().catch(() => undefined);
      if (!r || r.state !== 'running') clearInterval(poll);
    }, 500);
    state.timers.push(poll);
  };
  main.append(
    h('h1', {}, 'Rankings'),
    info,
    h('div', { class: 'row' }, h('button', { 'data-testid': 'run-rankings', onclick: runNow }, 'Run CalculateRankings now')),
    run,
    h('form', { class: 'row', onsubmit: (e) => (e.preventDefault(), draw()) }, scope, pais, ciudad, h('button', { type: 'submit' }, 'Show')),
    table,
  );
  await draw();
}

// GraphQL explorer: GraphiQL against /graphql with the signed-in token or the API key.
export async function costPage(main) {
  const c = await api('cost');
  const byService = new Map(c.projected.lines.map((l) => [l.service, l]));
  main.append(
    h('h1', {}, 'Monthly cost estimate'),
    h('p', { class: 'muted' }, `${c.model.region} list prices (USD, no free tier) as of ${c.model.priceDate}. Projection: what this server counted in ${duration(c.countedSeconds)}, scaled to 730 hours; storage is not counted and stays as in the model.`),
    h(
      'table',
      { 'data-testid': 'cost' },
      h('tr', {}, ['Service', 'Model usage', 'Model cost', 'Counted usage, per month', 'Projected cost'].map((t, i) => h('th', { class: i === 2 || i === 4 ? 'num' : '' }, t))),
      c.model.lines.map((l) =>
        h('tr', { 'data-testid': 'cost-line' }, h('td', {}, l.name), h('td', { class: 'muted' }, l.usage), h('td', { class: 'num' }, usd(l.usd)), h('td', { class: 'muted' }, byService.get(l.service).usage), h('td', { class: 'num' }, usd(byService.get(l.service).usd))),
      ),
      h('tr', {}, h('th', {}, 'Total'), h('td'), h('th', { class: 'num', 'data-testid': 'cost-total' }, usd(c.model.totalUsd)), h('td'), h('th', { class: 'num' }, usd(c.projected.totalUsd))),
    ),
  );
}
