/** Defaults of the queue commands that their flag tables show without loading BullMQ. */

/** Tries per job before it counts as failed (\`ved enqueue --attempts\`). */
export const DEFAULT_ATTEMPTS = 3;
