/**
 * Redis connections for BullMQ (ioredis). Workers keep reconnecting (a Redis
 * restart pauses them); the one-shot commands (`ved enqueue`, `ved results`)
 * fail fast with a message naming the URL when Redis cannot be reached.
 */
import { VedError } from '@ved/core';
import { Redis } from 'ioredis';

export interface ConnectOptions {
  /** Keep retrying forever (workers) instead of failing after a few attempts. */
  persistent?: boolean;
}

export async function connectRedis(url: string, options: ConnectOptions = {}): Promise<Redis> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VedError('INVALID_OPTION', `--redis must be a URL such as redis://127.0.0.1:6379, got ${JSON.stringify(url)}.`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new VedError('INVALID_OPTION', `--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}.`);
  }
  const redis = new Redis(url, {
    // BullMQ's blocking commands need this.
    maxRetriesPerRequest: null,
    lazyConnect: true,
    retryStrategy: (attempt) => (options.persistent || attempt <= 3 ? Math.min(attempt * 200, 2000) : null),
  });
  redis.on('error', () => {}); // reported through the failing commands
  try {
    await redis.connect();
  } catch (cause) {
    redis.disconnect();
    throw new VedError('RUNTIME', `Cannot connect to Redis at ${url}: ${(cause as Error).message}.`, { cause });
  }
  return redis;
}
