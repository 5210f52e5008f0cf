// The example plugins as a user of the published packages runs them (tools/packaging/plugins.test.ts
// copies this file into a scratch project where everything came from tarballs): import the plugin
// packages, then check each fixture against Python's numbers with @ved/testing's framework-free
// runner. Compiled by tsc against the installed packages' types, then run by node; prints one JSON
// line per fixture.
// @ved/backend-node registers ved's built-in architectures (the fixtures' ViT and GPT-2) to load on first use.
import '@ved/backend-node';
import { loadGoldenFixture, runGoldenChecks, type GoldenOptions } from '@ved/testing';
import { dinov2Encoder } from 'ved-encoder-dinov2';
import { electraDecoder } from 'ved-decoder-electra';

const here = (path: string) => decodeURIComponent(new URL(path, import.meta.url).pathname);

const options: GoldenOptions = {
  // Both plugins' weights(config) against Python.
  weights: 'both',
  // Imported above, the plugins registered themselves; listing them again is harmless.
  plugins: { encoders: [dinov2Encoder], decoders: [electraDecoder] },
};
for (const name of ['dinov2-gpt2', 'vit-electra', 'dinov2-electra']) {
  const results = await runGoldenChecks(loadGoldenFixture(here(`./fixtures/${name}`)), options);
  console.log(JSON.stringify({ fixture: name, results }));
}
