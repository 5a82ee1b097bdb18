/*
 * The BiiLive web console: plain browser JavaScript, no build step. Signs in against this
 * server's user pool (InitiateAuth, USER_PASSWORD_AUTH), then talks to /console/api/ with the ID
 * token. Pages are built with DOM calls only (never innerHTML with data), charts with uPlot.
 */
'use strict';

const TOKEN_KEY = 'biilive.console.idToken';
const state = { config: null, session: null, timers: [], charts: [] };

// ---- DOM helpers ------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const $ = (id) => document.getElementById(id);
/** replaceChildren without the false / null / undefined of conditional parts. */
const fill = (el, ...children) => el.replaceChildren(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false));
const fmt = (v, digits = 0) => (v === null || v === undefined ? '-' : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits }));
const usd = (v) => `$${Number(v).toFixed(2)}`;
const duration = (s) => {
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return `${d ? `${d}d ` : ''}${hh}h ${mm}m ${Math.floor(s % 60)}s`;
};
const stateBadge = (s) => h('span', { class: 'state', dataset: { state: s } }, s);

// ---- API --------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, errorType, message) {
    super(message);
    this.status = status;
    this.errorType = errorType;
  }
}

async function api(path, options = {}) {
  const res = await fetch(`/console/api/${path}`, {
    method: options.method || 'GET',
    headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ''}`, ...(options.body ? { 'content-type': 'application/json' } : {}) },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = (json.errors && json.errors[0]) || {};
    if (res.status === 401) signOut('Your session ended: sign in again.');
    throw new ApiError(res.status, e.errorType || 'Error', e.message || res.statusText);
  }
  return json;
}

async function cognito(action, body) {
  const res = await fetch('/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${action}` },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, json.__type || 'Error', json.message || res.statusText);
  return json;
}

// ---- Sign-in ----------------------------------------------------------------------------------

function showSignIn(message) {
  $('app').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message || '';
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.session = null;
  stopTimers();
  showSignIn(message);
}

async function enter() {
  try {
    state.session = await api('session');
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn(err.status === 403 ? 'Only members of the admin group can use the console.' : err.message);
    return;
  }
  $('signin').hidden = true;
  $('app').hidden = false;
  $('who').textContent = `${state.session.username} (${state.session.groups.join(', ')})`;
  route();
}

async function onSignIn(event) {
  event.preventDefault();
  const form = event.target;
  $('signin-error').textContent = '';
  try {
    const out = await cognito('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: state.config.clientId,
      AuthParameters: { USERNAME: form.username.value, PASSWORD: form.password.value },
    });
    sessionStorage.setItem(TOKEN_KEY, out.AuthenticationResult.IdToken);
    form.password.value = '';
    await enter();
  } catch (err) {
    showSignIn(err.message);
  }
}

// ---- Pages ------------------------------------------------------------------------------------

function stopTimers() {
  for (const t of state.timers) clearInterval(t);
  state.timers = [];
  for (const c of state.charts) c.destroy();
  state.charts = [];
}

function every(ms, fn) {
  state.timers.push(setInterval(fn, ms));
}

const pages = {
  overview: overviewPage,
  users: usersPage,
  social: socialPage,
  media: mediaPage,
  rankings: rankingsPage,
  graphql: graphqlPage,
  cost: costPage,
};

function route() {
  if (!state.session) return;
  stopTimers();
  const name = (location.hash || '#overview').slice(1).split('/')[0];
  const page = pages[name] ? name : 'overview';
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.getAttribute('href') === `#${page}`);
  const main = $('page');
  main.replaceChildren();
  main.dataset.page = page;
  pages[page](main).catch((err) => main.append(h('p', { class: 'error' }, err.message)));
}

function failure(container, err) {
  container.replaceChildren(h('p', { class: 'error', role: 'alert' }, `${err.errorType || 'Error'}: ${err.message}`));
}

// Overview: the four rows live, the alarms, uptime and the parts in use.
async function overviewPage(main) {
  const facts = h('div', { class: 'facts', 'data-testid': 'facts' });
  const graphs = h('div', { class: 'graphs' });
  const alarms = h('div', { 'data-testid': 'alarms' });
  main.append(h('h1', {}, 'Overview'), facts, graphs, h('h2', {}, 'Alarms'), alarms);
  const charts = new Map();

  const draw = async () => {
    const o = await api('overview');
    facts.replaceChildren(
      ...[
        ['Uptime', duration(o.uptimeSeconds)],
        ['Store', o.store],
        ['Bus', o.bus],
        ['Media', o.media],
        ['Realtime connections', fmt(o.realtime.connections)],
        ['Subscriptions', fmt(o.realtime.subscriptions)],
        ['Replica', o.replicaId.slice(0, 8)],
      ].map(([k, v]) => h('div', {}, h('span', {}, k), h('b', { 'data-testid': `fact-${k.toLowerCase().split(' ')[0]}` }, v))),
    );
    for (const g of o.graphs) {
      let entry = charts.get(g.title);
      if (!entry) {
        const box = h('div');
        const figure = h('figure', { 'data-testid': 'graph', dataset: { title: g.title } }, h('figcaption', {}, `${g.title} (per ${o.sampleSeconds} s)`), box);
        graphs.append(figure);
        const colors = ['#2f5bea', '#c62828', '#e37400', '#1a7f37', '#7b3fe4'];
        const chart = new uPlot(
          {
            width: 600,
            height: 220,
            series: [{}, ...g.lines.map((l, i) => ({ label: `${l.label}${l.unit === 'ms' ? ' (ms)' : l.unit === 'seconds' ? ' (s)' : ''}`, stroke: colors[i % colors.length], width: 2, spanGaps: false }))],
            axes: [{}, { size: 60 }],
          },
          [[]].concat(g.lines.map(() => [])),
          box,
        );
        state.charts.push(chart);
        entry = { chart, figure };
        charts.set(g.title, entry);
      }
      const data = [g.times.map((t) => t / 1000), ...g.values];
      entry.chart.setData(data);
      const nonzero = g.values.reduce((n, line) => n + line.filter((v) => v !== null && v > 0).length, 0);
      entry.figure.dataset.points = String(g.times.length);
      entry.figure.dataset.nonzero = String(nonzero);
    }
    alarms.replaceChildren(alarmTable(o.alarms));
    return o;
  };
  const first = await draw();
  every(Math.max(1000, Math.min(first.sampleSeconds * 1000, 10_000)), () => draw().catch(() => {}));
}

function alarmTable(list) {
  return h(
    'table',
    {},
    h('tr', {}, ['Alarm', 'Instance', 'State', 'Since', 'Threshold', 'Latest datapoints', 'Reason'].map((t) => h('th', {}, t))),
    list.map((a) =>
      h(
        'tr',
        { 'data-testid': 'alarm', dataset: { alarm: a.id, instance: a.instance, state: a.state } },
        h('td', { title: a.description }, a.id),
        h('td', {}, a.instance),
        h('td', {}, stateBadge(a.state)),
        h('td', {}, new Date(a.since).toLocaleTimeString()),
        h('td', {}, `> ${a.threshold} ${a.unit === 'percent' ? '%' : a.unit}, ${a.datapointsToAlarm} of ${a.evaluationPeriods} x ${a.periodSeconds} s`),
        h('td', {}, a.datapoints.slice(-5).map((v) => (v === null ? '-' : fmt(v, 2))).join(', ')),
        h('td', { class: 'muted' }, a.reason),
      ),
    ),
  );
}

// Users: search by nickname, a profile with counters, followers and following, groups.
async function usersPage(main) {
  const results = h('div', { 'data-testid': 'user-results' });
  const detail = h('div', { 'data-testid': 'user-detail' });
  const input = h('input', { placeholder: 'nickname prefix', 'data-testid': 'user-search' });
  const search = async () => {
    try {
      const page = await api(`users?nickname=${encodeURIComponent(input.value)}`);
      results.replaceChildren(
        page.items.length === 0
          ? h('p', { class: 'muted' }, 'No user with that nickname prefix.')
          : h(
              'table',
              {},
              h('tr', {}, ['Nickname', 'User id', 'Followers', 'Following', 'Points', 'Level'].map((t) => h('th', {}, t))),
              page.items.map((u) =>
                h(
                  'tr',
                  {},
                  h('td', {}, h('a', { class: 'user', 'data-testid': 'user-link', onclick: () => showUser(u.userId) }, u.nickname)),
                  h('td', { class: 'muted' }, u.userId),
                  h('td', { class: 'num' }, fmt(u.seguidores)),
                  h('td', { class: 'num' }, fmt(u.siguiendo)),
                  h('td', { class: 'num' }, fmt(u.puntos)),
                  h('td', { class: 'num' }, fmt(u.nivel)),
                ),
              ),
            ),
      );
    } catch (err) {
      failure(results, err);
    }
  };
  const showUser = async (userId) => {
    try {
      const u = await api(`users/${encodeURIComponent(userId)}`);
      const p = u.profile;
      const a = u.account;
      const isAdmin = a && a.groups.includes('admin');
      const act = async (path, body) => {
        try {
          await api(`users/${encodeURIComponent(userId)}/${path}`, { method: 'POST', body });
          await showUser(userId);
        } catch (err) {
          failure(detail, err);
        }
      };
      const people = (list) =>
        list.length === 0 ? h('p', { class: 'muted' }, 'none') : h('ul', {}, list.map((f) => h('li', {}, h('a', { class: 'user', onclick: () => showUser(f.userId) }, (f.profile && f.profile.nickname) || f.userId))));
      detail.replaceChildren(
        h(
          'div',
          { class: 'card' },
          h('h2', { 'data-testid': 'profile-nickname' }, p.nickname),
          h(
            'div',
            { class: 'facts' },
            [
              ['User id', p.userId],
              ['Username', a ? a.username : '(no account)'],
              ['Status', a ? `${a.status}${a.enabled ? '' : ', DISABLED'}` : '-'],
              ['Groups', a && a.groups.length ? a.groups.join(', ') : 'none'],
              ['Followers', fmt(p.seguidores)],
              ['Following', fmt(p.siguiendo)],
              ['Points', fmt(p.puntos)],
              ['Level', fmt(p.nivel)],
              ['Conversations', `${fmt(u.conversations.count)}${u.conversations.capped ? '+' : ''}`],
              ['Place', [p.ciudad, p.pais].filter(Boolean).join(', ') || '-'],
            ].map(([k, v]) => h('div', {}, h('span', {}, k), h('b', { 'data-testid': `profile-${k.toLowerCase().replace(' ', '-')}` }, v))),
          ),
          a &&
            h(
              'div',
              { class: 'row' },
              h('button', { class: 'secondary', 'data-testid': 'toggle-admin', onclick: () => act('groups', { group: 'admin', member: !isAdmin }) }, isAdmin ? 'Remove from admin' : 'Add to admin'),
              h('button', { class: a.enabled ? 'danger' : 'secondary', 'data-testid': 'toggle-enabled', onclick: () => act('enabled', { enabled: !a.enabled }) }, a.enabled ? 'Disable user' : 'Enable user'),
            ),
          h(
            'div',
            { class: 'columns' },
            h('div', { 'data-testid': 'followers' }, h('h2', {}, 'Followers'), people(u.followers)),
            h('div', { 'data-testid': 'following' }, h('h2', {}, 'Following'), people(u.following)),
          ),
        ),
      );
    } catch (err) {
      failure(detail, err);
    }
  };
  main.append(
    h('h1', {}, 'Users'),
    h('form', { class: 'row', onsubmit: (e) => (e.preventDefault(), search()) }, input, h('button', { type: 'submit', 'data-testid': 'user-search-go' }, 'Search')),
    results,
    detail,
  );
}

// Social and chat: counter drift check and repair; conversation counts per user.
async function socialPage(main) {
  const status = h('div', { 'data-testid': 'counters' });
  const counts = h('div', { 'data-testid': 'conversation-counts' });
  const input = h('input', { placeholder: 'nickname prefix', 'data-testid': 'conversation-search' });
  const render = (job) => {
    if (!job) return status.replaceChildren(h('p', { class: 'muted' }, 'No check run yet in this server.'));
    const r = job.result;
    status.dataset.state = job.state;
    fill(
      status,
      h('p', {}, `${job.state === 'running' ? 'Checking' : job.state === 'done' ? (r.fix ? 'Repair done' : 'Check done') : 'Failed'}: `, h('b', {}, `${fmt((r || job.progress || {}).users)} users`), job.error ? ` - ${job.error}` : ''),
      r &&
        h(
          'p',
          { 'data-testid': 'drift-summary', dataset: { drift: String(r.drift.length), fixed: String(r.fixed) } },
          `${r.drift.length} drifting counters${r.fix ? `, ${r.fixed} fixed` : ''}${r.unstable.length ? `, ${r.unstable.length} unstable (run again)` : ''}`,
        ),
      r &&
        r.drift.length > 0 &&
        h(
          'table',
          {},
          h('tr', {}, ['User id', 'Counter', 'Stored', 'Actual'].map((t) => h('th', {}, t))),
          r.drift.map((d) => h('tr', { 'data-testid': 'drift' }, h('td', {}, d.userId), h('td', {}, d.field), h('td', { class: 'num' }, d.stored), h('td', { class: 'num' }, d.actual))),
        ),
    );
  };
  const start = async (fix) => {
    try {
      render((await api('counters', { method: 'POST', body: { fix } })).job);
      const poll = setInterval(async () => {
        const { job } = await api('counters').catch(() => ({ job: null }));
        render(job);
        if (!job || job.state !== 'running') clearInterval(poll);
      }, 500);
      state.timers.push(poll);
    } catch (err) {
      failure(status, err);
    }
  };
  const conversations = async () => {
    try {
      const out = await api(`conversations?nickname=${encodeURIComponent(input.value)}`);
      counts.replaceChildren(
        h(
          'table',
          {},
          h('tr', {}, ['Nickname', 'User id', 'Conversations'].map((t) => h('th', {}, t))),
          out.items.map((u) => h('tr', {}, h('td', {}, u.nickname), h('td', { class: 'muted' }, u.userId), h('td', { class: 'num' }, `${fmt(u.count)}${u.capped ? '+' : ''}`))),
        ),
      );
    } catch (err) {
      failure(counts, err);
    }
  };
  main.append(
    h('h1', {}, 'Social and chat'),
    h('h2', {}, 'Follower counters'),
    h('p', { class: 'muted' }, 'Recounts seguidores / siguiendo from the follow graph, as `biilive doctor counters` does.'),
    h(
      'div',
      { class: 'row' },
      h('button', { 'data-testid': 'check-counters', onclick: () => start(false) }, 'Check for drift'),
      h('button', { class: 'danger', 'data-testid': 'repair-counters', onclick: () => start(true) }, 'Repair drift'),
    ),
    status,
    h('h2', {}, 'Conversations per user'),
    h('p', { class: 'muted' }, 'Counts only: message contents are not shown here.'),
    h('form', { class: 'row', onsubmit: (e) => (e.preventDefault(), conversations()) }, input, h('button', { type: 'submit' }, 'Count')),
    counts,
  );
  render((await api('counters')).job);
}

// Media: recent uploads and processing failures with their reasons, thumbnails.
async function mediaPage(main) {
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
async function rankingsPage(main) {
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
function loadScript(src) {
  return new Promise((resolve, reject) => {
    if (document.querySelector(`script[src="${src}"]`)) return resolve();
    const s = h('script', { src });
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(s);
  });
}

async function graphqlPage(main) {
  const mode = h('select', { 'data-testid': 'graphql-auth' }, h('option', { value: 'token' }, 'My token (user pools)'), h('option', { value: 'key' }, 'API key'));
  const box = h('div', { id: 'graphiql', 'data-testid': 'graphiql' });
  main.append(h('div', { class: 'row' }, h('h1', {}, 'GraphQL'), h('label', {}, 'Authorization ', mode)), box);
  if (!document.querySelector('link[href="/console/vendor/graphiql.min.css"]')) document.head.append(h('link', { rel: 'stylesheet', href: '/console/vendor/graphiql.min.css' }));
  await loadScript('/console/vendor/react.production.min.js');
  await loadScript('/console/vendor/react-dom.production.min.js');
  await loadScript('/console/vendor/graphiql.min.js');
  const root = ReactDOM.createRoot(box);
  const render = () => {
    const headers = mode.value === 'key' ? { 'x-api-key': state.session.apiKey } : { authorization: sessionStorage.getItem(TOKEN_KEY) };
    const fetcher = GraphiQL.createFetcher({ url: '/graphql', headers });
    root.render(React.createElement(GraphiQL, { fetcher, key: mode.value, defaultQuery: 'query Me {\n  me {\n    userId\n    nickname\n    seguidores\n    siguiendo\n  }\n}\n' }));
  };
  mode.addEventListener('change', render);
  render();
  state.charts.push({ destroy: () => root.unmount() });
}

// Cost: the seed's model and this installation's projected month, same five lines.
async function costPage(main) {
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

// ---- Start ------------------------------------------------------------------------------------

window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', async () => {
  $('signin-form').addEventListener('submit', onSignIn);
  $('signout').addEventListener('click', () => signOut());
  const res = await fetch('/console/api/config');
  state.config = await res.json();
  if (sessionStorage.getItem(TOKEN_KEY)) await enter();
  else showSignIn();
});
