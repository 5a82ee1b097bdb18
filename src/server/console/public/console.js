/*
 * The BiiLive web console: plain browser JavaScript, no build step. Signs in against this
 * server's user pool (InitiateAuth, USER_PASSWORD_AUTH), then talks to /console/api/ with the ID
 * token. One ES module per group of pages (no bundler); pages are built with DOM calls only
 * (never innerHTML with data), charts with uPlot.
 */

import { $, api, cognito, failure, onUnauthorized, state, stopTimers, TOKEN_KEY } from './ui.js';
import { overviewPage } from './overview.js';
import { socialPage, usersPage } from './people.js';
import { costPage, mediaPage, rankingsPage } from './operations.js';
import { graphqlPage } from './graphql.js';

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
  pages[page](main).catch((err) => failure(main, err));
}

// ---- Start ------------------------------------------------------------------------------------

onUnauthorized((message) => signOut(message));
window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', async () => {
  $('signin-form').addEventListener('submit', onSignIn);
  $('signout').addEventListener('click', () => signOut());
  const res = await fetch('/console/api/config');
  state.config = await res.json();
  if (sessionStorage.getItem(TOKEN_KEY)) await enter();
  else showSignIn();
});
