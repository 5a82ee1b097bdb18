/* Users (search, profile, admin group, disable) and Social and chat (counter drift, conversation counts). */
import { api, failure, fill, fmt, h, state } from './ui.js';

export async function usersPage(main) {
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
export async function socialPage(main) {
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