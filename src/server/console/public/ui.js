/* Shared by the console's pages: DOM building (never innerHTML with data), formatting, the API calls. */

export const TOKEN_KEY = 'biilive.console.idToken';
/** The signed-in session and what the current page runs (timers, charts), dropped on navigation. */
export const state = { config: null, session: null, timers: [], charts: [] };

// ---- DOM helpers ------------------------------------------------------------------------------

export function h(tag, attrs, ...children) {
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
export const $ = (id) => document.getElementById(id);
/** replaceChildren without the false / null / undefined of conditional parts. */
export const fill = (el, ...children) => el.replaceChildren(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false));
export const fmt = (v, digits = 0) => (v === null || v === undefined ? '-' : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits }));
export const usd = (v) => `$${Number(v).toFixed(2)}`;
export const duration = (s) => {
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return `${d ? `${d}d ` : ''}${hh}h ${mm}m ${Math.floor(s % 60)}s`;
};
export const stateBadge = (s) => h('span', { class: 'state', dataset: { state: s } }, s);

// ---- API --------------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, errorType, message) {
    super(message);
    this.status = status;
    this.errorType = errorType;
  }
}

export async function api(path, options = {}) {
  const res = await fetch(`/console/api/${path}`, {
    method: options.method || 'GET',
    headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ''}`, ...(options.body ? { 'content-type': 'application/json' } : {}) },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = (json.errors && json.errors[0]) || {};
    if (res.status === 401) unauthorized('Your session ended: sign in again.');
    throw new ApiError(res.status, e.errorType || 'Error', e.message || res.statusText);
  }
  return json;
}

export async function cognito(action, body) {
  const res = await fetch('/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${action}` },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, json.__type || 'Error', json.message || res.statusText);
  return json;
}

let unauthorized = () => {};
/** What a 401 from the API does (the sign-in page sets it). */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

export function stopTimers() {
  for (const t of state.timers) clearInterval(t);
  state.timers = [];
  for (const c of state.charts) c.destroy();
  state.charts = [];
}

/** Runs `fn` every `ms` while the page is shown. */
export function every(ms, fn) {
  state.timers.push(setInterval(fn, ms));
}

export function failure(container, err) {
  container.replaceChildren(h('p', { class: 'error', role: 'alert' }, `${err.errorType || 'Error'}: ${err.message}`));
}
