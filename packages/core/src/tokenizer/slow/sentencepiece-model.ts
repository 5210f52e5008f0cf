/**
 * A SentencePiece model file (`sentencepiece.bpe.model`, `spiece.model`):
 * the `ModelProto` of sentencepiece's `sentencepiece_model.proto`, read with
 * `@bufbuild/protobuf`'s wire-format reader. Only the fields transformers'
 * `SentencePieceExtractor` and the converters use are kept (field numbers
 * and defaults from that .proto); there is no generated schema to import.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { VedError } from '../../errors.js';

/** `SentencePiece.Type`. */
export const PieceType = { Normal: 1, Unknown: 2, Control: 3, UserDefined: 4, Unused: 5, Byte: 6 } as const;
export type PieceType = (typeof PieceType)[keyof typeof PieceType];

export interface SentencePiece {
  piece: string;
  score: number;
  type: PieceType;
}

export interface SentencePieceModel {
  pieces: SentencePiece[];
  trainerSpec: {
    /** 1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR. */
    modelType: number;
    unkId: number;
    bosId: number;
    eosId: number;
    padId: number;
    unkPiece: string;
    bosPiece: string;
    eosPiece: string;
    padPiece: string;
    byteFallback: boolean;
  };
  normalizerSpec: {
    name: string;
    /** The darts-clone trie and replacement strings of the normalization rules (empty for `identity`). */
    precompiledCharsmap: Uint8Array;
  };
}

type Reader = BinaryReader;

/** Iterates the fields of one message, skipping the unknown ones. */
function readMessage(r: Reader, end: number, onField: (field: number, wireType: WireType) => boolean): void {
  while (r.pos < end) {
    const [field, wireType] = r.tag();
    if (!onField(field, wireType)) r.skip(wireType, field);
  }
  if (r.pos !== end) throw new RangeError('message overruns its length');
}

function expect(wireType: WireType, want: WireType): boolean {
  if (wireType !== want) throw new RangeError(`wire type ${wireType}, expected ${want}`);
  return true;
}

function readPiece(r: Reader, end: number): SentencePiece {
  const p: SentencePiece = { piece: '', score: 0, type: PieceType.Normal };
  readMessage(r, end, (field, wt) => {
    if (field === 1 && expect(wt, WireType.LengthDelimited)) p.piece = r.string();
    else if (field === 2 && expect(wt, WireType.Bit32)) p.score = r.float();
    else if (field === 3 && expect(wt, WireType.Varint)) p.type = r.int32() as PieceType;
    else return false;
    return true;
  });
  return p;
}

function readTrainerSpec(r: Reader, end: number): SentencePieceModel['trainerSpec'] {
  const s: SentencePieceModel['trainerSpec'] = {
    modelType: 1,
    unkId: 0,
    bosId: 1,
    eosId: 2,
    padId: -1,
    unkPiece: '<unk>',
    bosPiece: '<s>',
    eosPiece: '</s>',
    padPiece: '<pad>',
    byteFallback: false,
  };
  const ints: Record<number, 'modelType' | 'unkId' | 'bosId' | 'eosId' | 'padId'> = { 3: 'modelType', 40: 'unkId', 41: 'bosId', 42: 'eosId', 43: 'padId' };
  const strings: Record<number, 'unkPiece' | 'bosPiece' | 'eosPiece' | 'padPiece'> = { 45: 'unkPiece', 46: 'bosPiece', 47: 'eosPiece', 48: 'padPiece' };
  readMessage(r, end, (field, wt) => {
    if (ints[field] !== undefined && expect(wt, WireType.Varint)) s[ints[field]] = r.int32();
    else if (strings[field] !== undefined && expect(wt, WireType.LengthDelimited)) s[strings[field]] = r.string();
    else if (field === 35 && expect(wt, WireType.Varint)) s.byteFallback = r.bool();
    else return false;
    return true;
  });
  return s;
}

function readNormalizerSpec(r: Reader, end: number): SentencePieceModel['normalizerSpec'] {
  const s: SentencePieceModel['normalizerSpec'] = { name: '', precompiledCharsmap: new Uint8Array(0) };
  readMessage(r, end, (field, wt) => {
    if (field === 1 && expect(wt, WireType.LengthDelimited)) s.name = r.string();
    else if (field === 2 && expect(wt, WireType.LengthDelimited)) s.precompiledCharsmap = r.bytes().slice();
    else return false;
    return true;
  });
  return s;
}

/** Parses a `.model` file; a file that is not a ModelProto is a typed error naming it. */
export function parseSentencePieceModel(bytes: Uint8Array, where: string): SentencePieceModel {
  const model: SentencePieceModel = { pieces: [], trainerSpec: readTrainerSpec(new BinaryReader(new Uint8Array(0)), 0), normalizerSpec: { name: '', precompiledCharsmap: new Uint8Array(0) } };
  try {
    const r = new BinaryReader(bytes);
    const sub = (read: (r: Reader, end: number) => void) => {
      const len = r.uint32();
      const end = r.pos + len;
      if (end > bytes.length) throw new RangeError('field runs past the end of the file');
      read(r, end);
    };
    readMessage(r, bytes.length, (field, wt) => {
      if (field === 1 && expect(wt, WireType.LengthDelimited)) sub((rr, end) => model.pieces.push(readPiece(rr, end)));
      else if (field === 2 && expect(wt, WireType.LengthDelimited)) sub((rr, end) => (model.trainerSpec = readTrainerSpec(rr, end)));
      else if (field === 3 && expect(wt, WireType.LengthDelimited)) sub((rr, end) => (model.normalizerSpec = readNormalizerSpec(rr, end)));
      else return false;
      return true;
    });
  } catch (cause) {
    throw new VedError('INVALID_CONFIG', `${where} is not a SentencePiece model (ModelProto): ${(cause as Error).message}.`, { cause });
  }
  if (model.pieces.length === 0) throw new VedError('INVALID_CONFIG', `${where} is a SentencePiece model without pieces.`);
  return model;
}
