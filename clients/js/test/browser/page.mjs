// Bundled by esbuild from the built package and loaded by the Chromium test page.
import { subscribe } from '../../dist/index.js';

const subscriptions = {};

/** Starts a named subscription; everything it reports goes to the test through the exposed `heraldEvent`. */
window.startHerald = (name, options) => {
  subscriptions[name] = subscribe(new URL('/.well-known/mercure', location.href).toString(), {
    ...options,
    random: () => Math.random() * 0.2,
    onUpdate: (u) => window.heraldEvent(name, 'update', { id: u.id, type: u.type, data: u.data }),
    onStatus: (s) => window.heraldEvent(name, 'status', s),
    onError: (e) => window.heraldEvent(name, 'error', { message: e.message, status: e.status ?? null }),
    onGap: () => window.heraldEvent(name, 'gap', null),
  });
};

window.closeHerald = () => {
  for (const sub of Object.values(subscriptions)) sub.close();
};
