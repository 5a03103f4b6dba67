/**
 * `ragline/server`: the HTTP face (`ragline serve`) as a library — start it, check its options,
 * its error type, the standalone-question step of conversations — and the static file server.
 * Only re-exports.
 */
export { startServer, checkServerOptions, type ServerOptions, type RaglineServer } from '../server/server.js';
export { HttpError } from '../server/http.js';
export { standaloneQuestion, type HistoryMessage } from '../server/conversation.js';
export { serveStatic, type StaticServer, type StaticServerOptions } from '../net/static-server.js';
