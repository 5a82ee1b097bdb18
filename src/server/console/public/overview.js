/* Overview: the four rows live (uPlot), the alarms, uptime and the parts in use. */
import { api, duration, every, fmt, h, state, stateBadge } from './ui.js';

export async function overviewPage(main) {
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