import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseCallbacks {
  /** `delta`: the frame's `herald-delta` field (a patch, docs/deltas.md), which eventsource-parser does not pass on. */
  onEvent(event: EventSourceMessage, delta?: string): void;
  onRetry?(ms: number): void;
  onComment?(comment: string): void;
  /**
   * A frame with an `id:` and no `data:`: it dispatches no event, yet sets the resume point (the hub ends a
   * retained snapshot with one). eventsource-parser drops such ids, so the decoder watches the lines itself.
   */
  onId?(id: string): void;
}

/** Longest line start kept while looking for `id:` fields; ids are short, data lines may be megabytes. */
const MAX_ID_LINE = 4096;

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
  const parser = createParser({
    onEvent: (event) => callbacks.onEvent(event, dispatchDelta),
    onRetry: (ms) => callbacks.onRetry?.(ms),
    onComment: (comment) => callbacks.onComment?.(comment),
  });
  let afterCr = false;
  // The current line's beginning (only while it can still be an id line), and the frame's id and data seen so far.
  let line = '';
  let lineDropped = false;
  let frameId: string | undefined;
  let frameHasData = false;
  // The frame's herald-delta field, and that of the frame the parser is dispatching (set just before its blank line).
  let frameDelta: string | undefined;
  let dispatchDelta: string | undefined;
  const endLine = (text: string): void => {
    if (text === '') {
      if (frameId !== undefined && !frameHasData) {
        callbacks.onId?.(frameId);
      }
      dispatchDelta = frameHasData ? frameDelta : undefined;
      frameId = undefined;
      frameHasData = false;
      frameDelta = undefined;
      return;
    }
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    if (field === 'data') {
      frameHasData = true;
    } else if (field === 'herald-delta' && !lineDropped) {
      frameDelta = colon < 0 ? '' : text.slice(text.charAt(colon + 1) === ' ' ? colon + 2 : colon + 1);
    } else if (field === 'id' && !lineDropped) {
      const value = colon < 0 ? '' : text.slice(text.charAt(colon + 1) === ' ' ? colon + 2 : colon + 1);
      if (!value.includes('\0')) {
        frameId = value;
      }
    }
  };
  const watch = (text: string): void => {
    let start = 0;
    for (let lf = text.indexOf('\n'); lf >= 0; lf = text.indexOf('\n', start)) {
      endLine(line + text.slice(start, lf));
      line = '';
      lineDropped = false;
      start = lf + 1;
    }
    if (start < text.length) {
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
      // Line by line, the watcher first: it knows a frame's herald-delta field when the parser dispatches the frame.
      const normalized = lines.replace(/\r\n?/g, '\n');
      let start = 0;
      for (let lf = normalized.indexOf('\n'); start < normalized.length; lf = normalized.indexOf('\n', start)) {
        const end = lf < 0 ? normalized.length : lf + 1;
        const piece = normalized.slice(start, end);
        watch(piece);
        parser.feed(piece);
        dispatchDelta = undefined;
        start = end;
      }
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
      frameHasData = false;
      frameDelta = undefined;
    },
  };
}
