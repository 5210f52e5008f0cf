/**
 * `generate()`, the counterpart of Python's `model.generate()`: greedy and beam search,
 * sampling, logits processors and warpers, stopping criteria, streaming.
 *
 * @module @ved/generation
 */
export * from '@ved/generation';
