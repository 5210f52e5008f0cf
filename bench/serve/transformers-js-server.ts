/**
 * The comparison server of `pnpm bench:serve`: a minimal HTTP server (node:http)
 * around transformers.js's `image-to-text` pipeline on the same model's ONNX
 * export, what an app would write without ved. `POST /v1/caption` takes the
 * image's bytes and `max_new_tokens` / `min_new_tokens` in the query; each
 * request calls the pipeline on its own (transformers.js has no batching of
 * concurrent calls). Prints `listening on http://HOST:PORT` on stderr.
 *
 * usage: node transformers-js-server.js MODEL_DIR PORT THREADS
 */
import { createServer } from 'node:http';
import { RawImage, env, pipeline } from '@huggingface/transformers';

const [modelDir, portArg = '0', threadsArg = '2'] = process.argv.slice(2);
if (modelDir === undefined) throw new Error('usage: transformers-js-server MODEL_DIR PORT THREADS');
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useFSCache = false;
const threads = Number(threadsArg);

const captioner = (await pipeline('image-to-text', modelDir, {
  dtype: 'fp32',
  device: 'cpu',
  local_files_only: true,
  session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
})) as unknown as (image: RawImage, options: Record<string, unknown>) => Promise<Array<{ generated_text: string }>>;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'POST' || url.pathname !== '/v1/caption') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      try {
        const image = await RawImage.fromBlob(new Blob([Buffer.concat(chunks)]));
        const maxNewTokens = Number(url.searchParams.get('max_new_tokens') ?? 20);
        const minNewTokens = Number(url.searchParams.get('min_new_tokens') ?? 0);
        const out = await captioner(image, { max_new_tokens: maxNewTokens, min_new_tokens: minNewTokens, do_sample: false, num_beams: 1 });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sequences: out.map((o) => ({ text: o.generated_text })) }));
      } catch (err) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'RUNTIME', message: (err as Error).message } }));
      }
    })();
  });
});
server.listen(Number(portArg), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stderr.write(`transformers.js server: listening on http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
