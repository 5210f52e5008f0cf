/**
 * The demo's Web Worker: backend-web's worker entry, bundled on its own so that
 * the model loads and runs off the page's main thread.
 */
import '@ved/backend-web/worker';
