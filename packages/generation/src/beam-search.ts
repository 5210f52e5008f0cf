/**
 * Beam search (transformers 5.18 `generation/utils.py`,
 * `GenerationMixin._beam_search`). All images and
 * beams run as one batch through the decoder step; the cache is reordered by
 * parent row after each step. Scores are float32 as in torch.
 *
 * Per step and image, with k beams and K = max(2, 1 + n_eos) · k:
 * 1. processors on log_softmax(logits), plus each beam's running score;
 * 2. the top K candidates over k·V (beam sampling: K draws without replacement);
 * 3. a candidate is done when a stopping criterion holds for its sequence;
 * 4. the next running beams are the top k of `score − 1e9·done`;
 * 5. finished hypotheses: only candidates ranked < k that are done may enter, scored
 *    `score / generatedLength^lengthPenalty` (− 1e9 when the image is already full with
 *    `earlyStopping === true`, or when the early-stop heuristic says it cannot improve);
 *    the best k of old and new are kept;
 * 6. the heuristic: an image is done once its k slots are finished and the best running
 *    score, normalised by the current length (by `maxLength` with "never" and a positive
 *    penalty), is not above the worst finished one.
 * The loop ends when every image is done, or (`earlyStopping === true`) every slot is
 * finished, or every candidate hit a stopping criterion.
 */
import type { EarlyStopping } from './generation-config.js';
import type { DecodeInputs, DecodeResult } from './decode-types.js';
import { applyProcessors } from './logits-processor.js';
import { cloneScores, logSoftmax, row, type Scores } from './scores.js';
import { distinctTopkShifted, topkIndices } from './torch-topk.js';
import { anyDone } from './stopping/stopping-criteria.js';

export interface BeamInputs extends DecodeInputs {
  batchSize: number;
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: EarlyStopping | undefined;
  numReturnSequences: number;
}

/** Chooses `count` candidates from the accumulated scores of one image ([k·V]): their indices, in rank order. */
export type CandidateSelector = (accumulated: Float32Array, count: number) => number[];

/** torch.topk: the `count` largest, best first (ties ordered as torch orders them). */
export const topKCandidates: CandidateSelector = (accumulated, count) => topkIndices(accumulated, count);

const NEG = Math.fround(-1e9);

interface Hypothesis {
  seq: number[];
  score: number;
  /** Per generated token, the flat row (image × beam) it extended. */
  beamIndices: number[];
}

export async function beamSearch(inputs: BeamInputs, select: CandidateSelector = topKCandidates): Promise<DecodeResult> {
  const { session, processors, criteria, signal, batchSize: B, numBeams: k, maxLength } = inputs;
  const lp = inputs.lengthPenalty;
  const es = inputs.earlyStopping;
  const promptLength = inputs.prompt[0]!.length;
  const nEos = inputs.eosTokenIds?.length ?? 0;
  const K = Math.max(2, 1 + nEos) * k;
  const fill = inputs.eosTokenIds === undefined ? -1 : inputs.padTokenId ? inputs.padTokenId : inputs.eosTokenIds[0]!;

  let running: Hypothesis[][] = Array.from({ length: B }, (_, b) =>
    Array.from({ length: k }, (_, j) => ({ seq: [...inputs.prompt[b * k + j]!], score: j === 0 ? 0 : NEG, beamIndices: [] })),
  );
  let finished: Hypothesis[][] = running.map((beams) => beams.map((h) => ({ seq: [...h.seq], score: NEG, beamIndices: [] })));
  let isFinished: boolean[][] = running.map((beams) => beams.map(() => false));
  const improvable = new Array<boolean>(B).fill(true);
  const scores: Scores[] | undefined = inputs.outputScores ? [] : undefined;
  const logits: Scores[] | undefined = inputs.outputLogits ? [] : undefined;

  let curLen = promptLength;
  let feed: number[][] = running.flat().map((h) => [...h.seq]);
  // One image's accumulated scores [k·V], reused by every image and step (the selector reads it, never keeps it).
  let acc: Float32Array | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const step = await session.step(feed, { logProbs: true });
    signal?.throwIfAborted();
    const raw: Scores = { data: step.data, rows: step.rows, vocab: step.vocab };
    const V = raw.vocab;
    const flatSeqs = running.flat().map((h) => h.seq);
    // The model's own float32 log_softmax when it gives one (ved's step graph), else computed here.
    const normalized = step.logProbs ? { data: step.logProbs, rows: step.rows, vocab: V } : logSoftmax(raw);
    // normalized is this loop's own matrix (the step hands its arrays over, or log_softmax made it): processors may write into it.
    const logProbs = applyProcessors(processors, flatSeqs, normalized, true);
    scores?.push(cloneScores(logProbs));
    logits?.push(cloneScores(raw));

    // Candidates of every image.
    const candidates: Array<Array<Hypothesis & { parent: number }>> = [];
    for (let b = 0; b < B; b++) {
      const beamRows = running[b]!.map((_, j) => row(logProbs, b * k + j));
      const shifts = running[b]!.map((h) => h.score);
      // Accumulated score of candidate idx: its parent's score plus the token's log-probability, in float32.
      const scoreOf = (idx: number) => Math.fround(beamRows[Math.floor(idx / V)]![idx % V]! + shifts[Math.floor(idx / V)]!);
      // Without ties in the top K the answer is torch's whatever its algorithm; one pass finds it.
      let picked = select === topKCandidates ? distinctTopkShifted(beamRows, shifts, K) : undefined;
      if (picked === undefined) {
        if (acc === undefined || acc.length !== k * V) acc = new Float32Array(k * V);
        for (let j = 0; j < k; j++) {
          const lpRow = beamRows[j]!;
          const s = shifts[j]!;
          for (let v = 0; v < V; v++) acc[j * V + v] = lpRow[v]! + s;
        }
        picked = select(acc, K);
      }
      candidates.push(
        picked.map((idx) => {
          const parent = Math.floor(idx / V);
          const from = running[b]![parent]!;
          return { seq: [...from.seq, idx % V], score: scoreOf(idx), beamIndices: [...from.beamIndices, b * k + parent], parent };
        }),
      );
    }
    const doneFlat = anyDone(criteria, candidates.flat().map((c) => c.seq), scores);
    const done = candidates.map((_, b) => doneFlat.slice(b * K, (b + 1) * K));

    // Next running beams and the parents whose cache they continue.
    const parents: number[] = [];
    running = candidates.map((cands, b) => {
      const penalised = Float32Array.from(cands, (c, i) => c.score + (done[b]![i] ? NEG : 0));
      return topkIndices(penalised, k).map((i) => {
        parents.push(b * k + cands[i]!.parent);
        return { seq: cands[i]!.seq, score: penalised[i]!, beamIndices: cands[i]!.beamIndices };
      });
    });

    // Finished hypotheses.
    const divisor = Math.fround(Math.pow(curLen + 1 - promptLength, lp));
    for (let b = 0; b < B; b++) {
      const full = es === true && isFinished[b]!.every(Boolean);
      const newScores = candidates[b]!.map((c, i) => {
        let s = Math.fround(c.score / divisor);
        if (full) s = Math.fround(s + NEG);
        if (!improvable[b]) s = Math.fround(s + NEG);
        if (!(done[b]![i] && i < k)) s = Math.fround(s + NEG);
        return s;
      });
      const merged = [
        ...finished[b]!.map((h, j) => ({ h, finished: isFinished[b]![j]! })),
        ...candidates[b]!.map((c, i) => ({ h: { seq: c.seq, score: newScores[i]!, beamIndices: c.beamIndices }, finished: done[b]![i]! && i < k })),
      ];
      const best = topkIndices(
        merged.map((m) => m.h.score),
        k,
      );
      finished[b] = best.map((i) => merged[i]!.h);
      isFinished[b] = best.map((i) => merged[i]!.finished);
    }

    if (parents.some((p, i) => p !== i)) session.reorder(parents);
    curLen += 1;

    // Early-stop heuristic.
    const hypLength = es === 'never' && lp > 0 ? maxLength - promptLength : curLen - promptLength;
    const hypDivisor = Math.fround(Math.pow(hypLength, lp));
    for (let b = 0; b < B; b++) {
      const bestPossible = Math.fround(running[b]![0]!.score / hypDivisor);
      const worst = Math.min(...finished[b]!.map((h) => h.score));
      improvable[b] = improvable[b]! && isFinished[b]!.some((f) => bestPossible > (f ? worst : NEG));
    }
    const allFull = es === true && isFinished.every((f) => f.every(Boolean));
    if (!improvable.some(Boolean) || allFull || doneFlat.every(Boolean)) break;
    feed = running.flat().map((h) => [h.seq[h.seq.length - 1]!]);
  }

  const returned = finished.flatMap((hyps) => hyps.slice(0, inputs.numReturnSequences));
  const generated = Math.max(...returned.map((h) => h.beamIndices.length));
  const width = promptLength + generated;
  return {
    sequences: returned.map((h) => [...h.seq, ...new Array<number>(width - h.seq.length).fill(fill)]),
    ...(scores ? { scores, sequencesScores: returned.map((h) => h.score) } : {}),
    ...(logits ? { logits } : {}),
    beamIndices: returned.map((h) => [...h.beamIndices, ...new Array<number>(generated - h.beamIndices.length).fill(-1)]),
  };
}
