/** The part of jsfive's (untyped) API that the Keras HDF5 reader uses. */
declare module 'jsfive' {
  export class Group {
    readonly attrs: Record<string, unknown>;
    keys: string[];
    get(path: string): Group | Dataset;
  }
  export class Dataset {
    readonly attrs: Record<string, unknown>;
    readonly shape: number[];
    readonly dtype: unknown;
    readonly value: ArrayLike<number> | unknown;
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }
}
