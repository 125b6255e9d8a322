import type { HeraldUpdate } from './types.js';

/** An update as a transport read it: with Herald's `herald-delta` field (`FORMAT BASE-ID`) when it is a patch. */
export type WireUpdate = HeraldUpdate & { delta?: string | undefined };

/** The subscribe query parameter asking for deltas, and the formats this client applies. */
export const DELTA_PARAMETER = 'herald-delta';
export const DELTA_FORMATS = 'json-patch,merge-patch';

/**
 * Turns the hub's deltas back into whole documents (docs/deltas.md). Keeps the last `capacity` JSON values by id as
 * possible bases; a patch names its base, and when that is not here (a gap, a value it never saw) or the patch does not
 * apply, `decode` answers undefined and the subscription reconnects for the whole value: a wrong document is never
 * handed on. Patches are applied without changing any document handed out before (changed containers are copied).
 */
export class DeltaDecoder {
  private readonly values = new Map<string, unknown>();

  constructor(private readonly capacity: number) {}

  decode(update: WireUpdate): HeraldUpdate | undefined {
    const { delta, ...whole } = update;
    if (delta === undefined) {
      if (update.id !== '' && looksLikeJson(update.data)) {
        try {
          this.remember(update.id, JSON.parse(update.data));
        } catch {
          // Not JSON after all: no delta will name it.
        }
      }
      return whole;
    }
    const space = delta.indexOf(' ');
    const format = delta.slice(0, space);
    const baseId = delta.slice(space + 1);
    if (space <= 0 || baseId === '' || !this.values.has(baseId) || update.id === '') {
      return undefined;
    }
    let document: unknown;
    try {
      document = applyPatch(format, this.values.get(baseId), JSON.parse(update.data));
    } catch {
      return undefined;
    }
    // Its topic moved on: the hub sends no patch against an older value than the last one it sent.
    this.values.delete(baseId);
    this.remember(update.id, document);
    return { ...whole, data: JSON.stringify(document) };
  }

  private remember(id: string, value: unknown): void {
    this.values.delete(id);
    this.values.set(id, value);
    if (this.values.size > this.capacity) {
      this.values.delete(this.values.keys().next().value as string);
    }
  }
}

function looksLikeJson(data: string): boolean {
  const first = /\S/.exec(data);
  return first !== null && (first[0] === '{' || first[0] === '[');
}

/** Applies an RFC 6902 JSON Patch (`add`, `remove`, `replace`) or an RFC 7396 merge patch; throws when it does not apply. */
export function applyPatch(format: string, document: unknown, patch: unknown): unknown {
  if (format === 'json-patch') {
    return applyJsonPatch(document, patch);
  }
  if (format === 'merge-patch') {
    return applyMergePatch(document, patch);
  }
  throw new Error(`unknown delta format ${format}`);
}

type Container = Record<string, unknown> | unknown[];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property even for `__proto__`, which plain assignment would take as the prototype. */
function define(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
}

export function applyJsonPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) {
    throw new Error('a JSON Patch is an array');
  }
  // Containers copied during this patch: each is copied once, however many operations touch it.
  const copied = new Set<unknown>();
  const own = (container: unknown): Container => {
    if (typeof container !== 'object' || container === null) {
      throw new Error('the path goes through a value that is not a container');
    }
    if (copied.has(container)) {
      return container as Container;
    }
    const copy: Container = Array.isArray(container) ? container.slice() : { ...(container as Record<string, unknown>) };
    copied.add(copy);
    return copy;
  };
  let root = document;
  for (const operation of operations as unknown[]) {
    if (!isObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') {
      throw new Error('a JSON Patch operation needs "op" and "path"');
    }
    const { op, path } = operation;
    if (op !== 'add' && op !== 'remove' && op !== 'replace') {
      throw new Error(`unsupported operation ${op}`);
    }
    if ((op === 'add' || op === 'replace') && !Object.hasOwn(operation, 'value')) {
      throw new Error(`"${op}" needs a "value"`);
    }
    const value = operation.value;
    if (path === '') {
      if (op === 'remove') {
        throw new Error('cannot remove the whole document');
      }
      root = value;
      continue;
    }
    const tokens = pointer(path);
    root = own(root);
    let parent = root as Container;
    for (const token of tokens.slice(0, -1)) {
      const child = own(get(parent, token));
      set(parent, token, child);
      parent = child;
    }
    const last = tokens[tokens.length - 1]!;
    if (Array.isArray(parent)) {
      const index = last === '-' && op === 'add' ? parent.length : arrayIndex(last);
      if (index > parent.length || (op !== 'add' && index === parent.length)) {
        throw new Error(`index ${last} is out of range`);
      }
      if (op === 'add') {
        parent.splice(index, 0, value);
      } else if (op === 'remove') {
        parent.splice(index, 1);
      } else {
        parent[index] = value;
      }
    } else {
      if (op !== 'add' && !Object.hasOwn(parent, last)) {
        throw new Error(`no member ${last} to ${op}`);
      }
      if (op === 'remove') {
        delete parent[last];
      } else {
        define(parent, last, value);
      }
    }
  }
  return root;
}

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) {
    return patch;
  }
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[name];
    } else {
      define(result, name, applyMergePatch(Object.hasOwn(result, name) ? result[name] : undefined, value));
    }
  }
  return result;
}

function pointer(path: string): string[] {
  if (!path.startsWith('/')) {
    throw new Error('a JSON Pointer starts with /');
  }
  return path.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string): number {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(token)) {
    throw new Error(`${token} is not an array index`);
  }
  return Number(token);
}

function get(container: Container, token: string): unknown {
  if (Array.isArray(container)) {
    const index = arrayIndex(token);
    if (index >= container.length) {
      throw new Error(`index ${token} is out of range`);
    }
    return container[index];
  }
  if (!Object.hasOwn(container, token)) {
    throw new Error(`no member ${token}`);
  }
  return container[token];
}

function set(container: Container, token: string, value: unknown): void {
  if (Array.isArray(container)) {
    container[arrayIndex(token)] = value;
  } else {
    define(container, token, value);
  }
}
