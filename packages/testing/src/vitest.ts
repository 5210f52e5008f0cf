/**
 * @ved/testing/vitest: the golden checks as vitest suites. One `describe` per
 * fixture loads its checkpoint once, then one `it` per applicable check
 * (see golden-checks.ts); the measured differences are printed at the end.
 *
 * ```ts
 * import { deitEncoder } from '@ved/encoder-deit';
 * import { gpt2Decoder } from '@ved/decoder-gpt2';
 * import { describeEncoderGolden } from '@ved/testing/vitest';
 *
 * describeEncoderGolden(['fixtures/deit-a'], { plugins: { encoders: [deitEncoder], decoders: [gpt2Decoder] } });
 * ```
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { loadGoldenFixture, type GoldenFixture } from './fixture.js';
import { goldenChecks, openGoldenContext, type GoldenContext, type GoldenOptions } from './golden-checks.js';

/** A fixture directory (its name is the directory's), or one already loaded. */
export type FixtureSource = string | GoldenFixture;

/** One suite per fixture with every check that applies to it; `options.weights` picks the weight-spec check. */
export function describeGolden(fixtures: readonly FixtureSource[], options: GoldenOptions = {}): void {
  const details: string[] = [];
  afterAll(() => {
    if (details.length > 0) console.log(`measured vs Python:\n${details.join('\n')}`);
  });
  for (const source of fixtures) {
    const fixture = typeof source === 'string' ? loadGoldenFixture(source) : source;
    describe(fixture.name, () => {
      let ctx: GoldenContext | undefined;
      const context = (): GoldenContext => {
        if (ctx === undefined) throw new Error(`${fixture.name}: the model did not load (see the beforeAll error)`);
        return ctx;
      };
      beforeAll(async () => {
        ctx = await openGoldenContext(fixture, options);
      });
      afterAll(() => ctx?.model.dispose());
      for (const check of goldenChecks(fixture, options)) {
        it(check.name, async () => {
          const detail = await check.run(context());
          if (detail) details.push(`  ${fixture.name} ${check.name}: ${detail}`);
        });
      }
    });
  }
}

/** Golden suites of an encoder plugin: its `weights(config)` against Python's init report, plus every applicable check. */
export function describeEncoderGolden(fixtures: readonly FixtureSource[], options: Omit<GoldenOptions, 'weights'> = {}): void {
  describeGolden(fixtures, { ...options, weights: 'encoder' });
}

/** Golden suites of a decoder plugin: its `weights(config)` against the checkpoint's `decoder.` tensors, plus every applicable check. */
export function describeDecoderGolden(fixtures: readonly FixtureSource[], options: Omit<GoldenOptions, 'weights'> = {}): void {
  describeGolden(fixtures, { ...options, weights: 'decoder' });
}

/** Golden suites of an encoder + decoder pair: both weight lists, plus every applicable check. */
export function describePairGolden(fixtures: readonly FixtureSource[], options: Omit<GoldenOptions, 'weights'> = {}): void {
  describeGolden(fixtures, { ...options, weights: 'both' });
}
