// Bundled by esbuild from the built package and loaded by the Chromium test page.
import { subscribe } from '../../dist/index.js';

const subscriptions = {};

/**
 * Starts a named subscription; everything it reports goes to the test through the exposed `heraldEvent`.
 * `mintToken: true` makes the token a function asking the test (`window.mintToken`) for a fresh one; `mintCookie: true`
 * gives a `renewCookie` that sets the `mercureAuthorization` cookie from `window.mintToken`, expiring with the token.
 * `backoffRandom` fixes where in [0, ceiling] each backoff delay falls (1: the longest).
 */
window.startHerald = (name, { mintToken, mintCookie, backoffRandom, ...options }) => {
  subscriptions[name] = subscribe(new URL('/.well-known/mercure', location.href).toString(), {
    ...options,
    ...(mintToken ? { token: () => window.mintToken(name) } : {}),
    ...(mintCookie ? { renewCookie: async () => setCookie(await window.mintToken(name)) } : {}),
    random: backoffRandom === undefined ? () => Math.random() * 0.2 : () => backoffRandom,
    onUpdate: (u) => window.heraldEvent(name, 'update', { id: u.id, type: u.type, data: u.data }),
    onStatus: (s) => window.heraldEvent(name, 'status', s),
    onError: (e) => window.heraldEvent(name, 'error', { message: e.message, status: e.status ?? null }),
    onGap: () => window.heraldEvent(name, 'gap', null),
  });
};

/** The cookie the hub reads for EventSource; it lives as long as the token in it, so a stale one is not sent. */
function setCookie(jwt) {
  const exp = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).exp;
  const maxAge = Math.max(0, exp - Math.floor(Date.now() / 1000));
  document.cookie = `mercureAuthorization=${jwt}; path=/; max-age=${maxAge}; SameSite=Strict`;
}

window.closeHerald = () => {
  for (const sub of Object.values(subscriptions)) sub.close();
};

/** Pretends the page was hidden or shown: headless Chromium keeps every page visible. */
window.setVisibility = (state) => {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
  document.dispatchEvent(new Event('visibilitychange'));
};

/** Pretends the network went away or came back (navigator.onLine follows). */
window.setOnline = (online) => {
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online });
  window.dispatchEvent(new Event(online ? 'online' : 'offline'));
};

/** Pretends the page was frozen or resumed: headless Chromium does not freeze on request. */
window.lifecycle = (type) => document.dispatchEvent(new Event(type));

/** Whether this page's subscription holds the shared stream (false for a follower tab). */
window.heraldLeading = (name) => subscriptions[name] !== undefined && !subscriptions[name].follower;
