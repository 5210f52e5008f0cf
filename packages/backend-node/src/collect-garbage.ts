/**
 * A full garbage collection on demand: after a load whose weights went through
 * JavaScript (`Runtime.collectGarbage`), and for the training loop's low-memory mode
 * (`ved train --no-memory-arena`): onnxruntime-node hands each step's gradients to
 * JavaScript in new buffers, and V8 does not know that the next step's run needs
 * memory (onnxruntime allocates outside its heap), so the previous step's buffers,
 * garbage by then, would stay resident through the next run (913 MiB for ViT-B/16 +
 * GPT-2). V8's `gc` is made available at run time by setting `--expose-gc` with
 * `v8.setFlagsFromString` and reading `gc` from a context created after it.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let collect: (() => void) | undefined;

export function collectGarbage(): void {
  if (collect === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed !== undefined) collect = exposed;
    else {
      v8.setFlagsFromString('--expose-gc');
      collect = vm.runInNewContext('gc') as () => void;
    }
  }
  collect();
}
