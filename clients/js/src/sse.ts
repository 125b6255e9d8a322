import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseCallbacks {
  onEvent(event: EventSourceMessage): void;
  onRetry?(ms: number): void;
  onComment?(comment: string): void;
}

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
    onEvent: (event) => callbacks.onEvent(event),
    onRetry: (ms) => callbacks.onRetry?.(ms),
    onComment: (comment) => callbacks.onComment?.(comment),
  });
  let afterCr = false;
  const feed = (text: string) => {
    if (text.length === 0) {
      return;
    }
    const lines = afterCr && text.startsWith('\n') ? text.slice(1) : text;
    afterCr = text.endsWith('\r');
    if (lines.length > 0) {
      parser.feed(lines.replace(/\r\n?/g, '\n'));
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
    },
  };
}
