import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseCallbacks {
  /** `matches`: the frame's `herald-matches` indices (asked for with `reportMatches`), when it had a valid one. */
  onEvent(event: EventSourceMessage, matches?: number[]): void;
  onRetry?(ms: number): void;
  onComment?(comment: string): void;
  /**
   * A frame with an `id:` and no `data:`: it dispatches no event, yet sets the resume point (the hub ends a
   * retained snapshot with one). eventsource-parser drops such ids, so the decoder watches the lines itself.
   */
  onId?(id: string): void;
}

/** Longest line start kept while looking for `id:` and `herald-matches:` fields; data lines may be megabytes. */
const MAX_ID_LINE = 4096;
const MATCHES_FIELD = 'herald-matches';

export interface SseDecoder {
  /** Feeds raw bytes as they arrive; a character or line ending split across chunks is fine. */
  push(bytes: Uint8Array): void;
  /** The stream ended: an incomplete event is dropped, as EventSource does. */
  end(): void;
}

/**
 * UTF-8 decoding (a leading BOM is dropped) into eventsource-parser, which does the SSE framing. Line endings are
 * turned into LF first: the parser holds a line that ends a chunk with CR until it sees whether LF follows, so on a
 * CR-only stream the last event would wait for the next bytes. Per the spec a CR ends the line at once; a LF right
 * after it, even in the next chunk, belongs to the same line ending and is dropped.
 */
export function createSseDecoder(callbacks: SseCallbacks): SseDecoder {
  const decoder = new TextDecoder('utf-8');
  // The current line's beginning (only while it can still be an id line), and the frame's id, matches and data seen so far.
  let line = '';
  let lineDropped = false;
  let frameId: string | undefined;
  let frameMatches: number[] | undefined;
  let frameHasData = false;
  const parser = createParser({
    // Lines reach the parser one at a time, each after this decoder saw it: the frame's matches are known here.
    onEvent: (event) => callbacks.onEvent(event, frameMatches),
    onRetry: (ms) => callbacks.onRetry?.(ms),
    onComment: (comment) => callbacks.onComment?.(comment),
  });
  let afterCr = false;
  const endLine = (text: string): void => {
    if (text === '') {
      if (frameId !== undefined && !frameHasData) {
        callbacks.onId?.(frameId);
      }
      frameId = undefined;
      frameMatches = undefined;
      frameHasData = false;
      return;
    }
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    if (field === 'data') {
      frameHasData = true;
    } else if (field === 'id' && !lineDropped) {
      const value = colon < 0 ? '' : text.slice(text.charAt(colon + 1) === ' ' ? colon + 2 : colon + 1);
      if (!value.includes('\0')) {
        frameId = value;
      }
    } else if (field === MATCHES_FIELD && !lineDropped) {
      const value = colon < 0 ? '' : text.slice(text.charAt(colon + 1) === ' ' ? colon + 2 : colon + 1);
      frameMatches = /^(?:\d{1,4}(?:,\d{1,4})*)?$/.test(value) ? (value === '' ? [] : value.split(',').map(Number)) : undefined;
    }
  };
  /** Feeds the parser line by line, noting each line's field first, so a frame's event sees its fields. */
  const watch = (text: string): void => {
    let start = 0;
    for (let lf = text.indexOf('\n'); lf >= 0; lf = text.indexOf('\n', start)) {
      const current = line + text.slice(start, lf);
      if (current === '') {
        // The blank line: the parser dispatches the frame's event, then the frame's state is cleared.
        parser.feed(text.slice(start, lf + 1));
        endLine('');
      } else {
        endLine(current);
        parser.feed(text.slice(start, lf + 1));
      }
      line = '';
      lineDropped = false;
      start = lf + 1;
    }
    if (start < text.length) {
      parser.feed(text.slice(start));
      // A long line keeps only its start: enough to know its field, which is all a data line needs.
      const room = MAX_ID_LINE - line.length;
      line += text.slice(start, start + Math.max(0, room));
      lineDropped ||= text.length - start > room;
    }
  };
  const feed = (text: string) => {
    if (text.length === 0) {
      return;
    }
    const lines = afterCr && text.startsWith('\n') ? text.slice(1) : text;
    afterCr = text.endsWith('\r');
    if (lines.length > 0) {
      watch(lines.replace(/\r\n?/g, '\n'));
    }
  };
  return {
    push(bytes) {
      feed(decoder.decode(bytes, { stream: true }));
    },
    end() {
      feed(decoder.decode());
      parser.reset();
      afterCr = false;
      line = '';
      lineDropped = false;
      frameId = undefined;
      frameMatches = undefined;
      frameHasData = false;
    },
  };
}
