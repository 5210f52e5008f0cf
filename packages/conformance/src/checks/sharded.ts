/** Sharded checkpoints (`model.safetensors.index.json` + shards) load the same model as one file. */
import { SAFETENSORS_INDEX_FILE, VisionEncoderDecoderModel, parseShardIndex } from '@ved/core';
import { assert, assertClose } from '../assert.js';
import { loadModel, loadReference } from '../fixtures.js';
import { shardedCopy } from '../memory-files.js';
import type { Check } from '../types.js';

export const shardedChecks: Check[] = [
  {
    name: 'sharded: a checkpoint split into shards gives the same logits as the single file',
    async run(env) {
      const files = await env.modelFiles('vit-gpt2-a');
      const sharded = await shardedCopy(files, ['config.json', 'generation_config.json'], 100_000);
      const index = parseShardIndex(JSON.parse(new TextDecoder().decode(await sharded.readBytes(SAFETENSORS_INDEX_FILE))), SAFETENSORS_INDEX_FILE);
      assert(index.shardFiles.length >= 3 && !(await sharded.exists('model.safetensors')), `expected only shards, got ${index.shardFiles.join(', ')}`);
      const [single, ref] = await Promise.all([loadModel(env, 'vit-gpt2-a'), loadReference(env, 'vit-gpt2-a')]);
      const model = await VisionEncoderDecoderModel.fromPretrained(sharded, env.runtime);
      try {
        const a = await model.logits(ref.pixelValues, ref.json.decoder_input_ids);
        const b = await single.logits(ref.pixelValues, ref.json.decoder_input_ids);
        return `max |diff| ${assertClose(a.data, b.data, 0, 'logits').toExponential(2)}`;
      } finally {
        await model.dispose();
      }
    },
  },
];
