/** Streaming tokens to a callback (`onToken`): the shared implementation of @ved/pipeline. */
export { tokenStreamer, type TokenCallback, type TokenEvent } from '@ved/pipeline';
