/* GraphQL explorer: GraphiQL 3 (React 18 UMD, loaded on first use) against /graphql. */
import { h, state, TOKEN_KEY } from './ui.js';

function loadScript(src) {
  return new Promise((resolve, reject) => {
    if (document.querySelector(`script[src="${src}"]`)) return resolve();
    const s = h('script', { src });
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(s);
  });
}

export async function graphqlPage(main) {
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