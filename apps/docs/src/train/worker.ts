/**
 * The training page's Web Worker: backend-web's training worker entry,
 * bundled on its own so that fine-tuning runs off the page's main thread.
 */
import '@ved/backend-web/training-worker';
