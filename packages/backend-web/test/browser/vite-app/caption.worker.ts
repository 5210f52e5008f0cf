// The worker entry of the app: ved's worker, bundled by Vite (worker.format 'es').
import '@ved/backend-web/worker';
