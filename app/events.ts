/**
 * How a use case tells its progress: it calls the sink it was given with one event at a time, each a plain object
 * whose `type` names it. The CLI draws them on a terminal; a worker or the web page will record or stream them.
 */
export type EventSink<E extends { readonly type: string }> = (event: E) => void;
