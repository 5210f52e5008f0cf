/** The runtime binding itself: a graph built by core runs and returns exact results. */
import { GraphBuilder } from '@ved/core';
import { assert, assertEqualJson } from '../assert.js';
import type { Check } from '../types.js';

export const runtimeChecks: Check[] = [
  {
    name: 'runtime: a graph built by core runs (MatMul + Add, float32 and int64 in/out)',
    async run(env) {
      const g = new GraphBuilder('conformance');
      const x = g.input('x', 'float32', ['batch', 3]);
      const ids = g.input('ids', 'int64', ['batch']);
      const w = g.initializer('w', 'float32', [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6]));
      const y = g.op('Add', [g.op('MatMul', [x, w]), g.constFloat(0.5)]);
      g.output('y', y, 'float32', ['batch', 2]);
      g.output('next_ids', g.op('Add', [ids, g.constInt(1, [])]), 'int64', ['batch']);
      // A 24-byte weight: small enough to stay inside the protobuf.
      const session = await env.runtime.createSession(g.build().model);
      try {
        const out = await session.run({
          x: env.runtime.tensor('float32', Float32Array.from([1, 0, 0, 0, 1, -1]), [2, 3]),
          ids: env.runtime.tensor('int64', BigInt64Array.from([7n, 41n]), [2]),
        });
        assertEqualJson([...(out.y!.data as Float32Array)], [1.5, 2.5, -1.5, -1.5], 'y');
        assertEqualJson(out.y!.dims, [2, 2], 'y dims');
        assert(out.next_ids!.type === 'int64', `next_ids has type ${out.next_ids!.type}, expected int64`);
        assertEqualJson([...(out.next_ids!.data as BigInt64Array)].map(Number), [8, 42], 'next_ids');
      } finally {
        await session.release();
      }
    },
  },
  {
    name: 'runtime: sessions created at once keep their own external weights',
    async run(env) {
      // Graphs built by core name their external weights alike (ved_weight_0, …);
      // a runtime that mounts them in one shared table must not mix them up.
      const make = (value: number) => {
        const g = new GraphBuilder(`external_${value}`);
        const x = g.input('x', 'float32', [1, 512]);
        const w = g.initializer('w', 'float32', [512, 1], new Float32Array(512).fill(value));
        g.output('y', g.op('MatMul', [x, w]), 'float32', [1, 1]);
        const built = g.build();
        assert(built.externalData.length === 1, `expected the 2 KiB weight to travel as external data, got ${built.externalData.length} entries`);
        return env.runtime.createSession(built.model, { externalData: built.externalData });
      };
      const sessions = await Promise.all([1, 2, 3].map(make));
      try {
        const x = env.runtime.tensor('float32', new Float32Array(512).fill(1), [1, 512]);
        const ys = await Promise.all(sessions.map(async (s) => (await s.run({ x })).y!.data[0]));
        assertEqualJson(ys, [512, 1024, 1536], 'outputs of the three sessions');
      } finally {
        await Promise.all(sessions.map((s) => s.release()));
      }
    },
  },
];
