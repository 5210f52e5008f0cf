/**
 * Counts the op types of an ONNX model's main graph (`ModelProto.graph.node[*]`,
 * `domain:op_type` for non-default domains), straight from the protobuf wire
 * format: the bench only needs these two strings per node, and skipping the
 * (possibly gigabyte) initializers field by field avoids decoding them.
 */

function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

/** Calls `visit(field, start, end)` for each length-delimited field of the message in buf[start, end). */
function fields(buf: Uint8Array, start: number, end: number, visit: (field: number, from: number, to: number) => void): void {
  let pos = start;
  while (pos < end) {
    let key: number;
    [key, pos] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) [, pos] = readVarint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      let len: number;
      [len, pos] = readVarint(buf, pos);
      visit(field, pos, pos + len);
      pos += len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

const text = new TextDecoder();

/** Op type → number of nodes in the main graph. */
export function readOnnxOpTypes(model: Uint8Array): Map<string, number> {
  const counts = new Map<string, number>();
  fields(model, 0, model.length, (f, a, b) => {
    if (f !== 7) return; // ModelProto.graph
    fields(model, a, b, (gf, ga, gb) => {
      if (gf !== 1) return; // GraphProto.node
      let op = '';
      let domain = '';
      fields(model, ga, gb, (nf, na, nb) => {
        if (nf === 4) op = text.decode(model.subarray(na, nb));
        else if (nf === 7) domain = text.decode(model.subarray(na, nb));
      });
      const name = domain === '' || domain === 'ai.onnx' ? op : `${domain}:${op}`;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    });
  });
  return counts;
}
