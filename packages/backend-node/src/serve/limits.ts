/** Limits of \`ved serve\` that its flag table shows without loading the server (fastify) itself. */

/** The largest request body \`ved serve\` takes by default (20 MiB; \`--max-body-bytes\`). */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;
