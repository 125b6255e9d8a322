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

/** UTF-8 decoding (a leading BOM is dropped) into eventsource-parser, which does the SSE framing. */
export function createSseDecoder(callbacks: SseCallbacks): SseDecoder {
  const decoder = new TextDecoder('utf-8');
  const parser = createParser({
    onEvent: (event) => callbacks.onEvent(event),
    onRetry: (ms) => callbacks.onRetry?.(ms),
    onComment: (comment) => callbacks.onComment?.(comment),
  });
  return {
    push(bytes) {
      const text = decoder.decode(bytes, { stream: true });
      if (text.length > 0) {
        parser.feed(text);
      }
    },
    end() {
      const rest = decoder.decode();
      if (rest.length > 0) {
        parser.feed(rest);
      }
      parser.reset();
    },
  };
}
