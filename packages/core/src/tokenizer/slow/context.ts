/** What a tokenizer class's converter reads: the checkpoint's files and the init kwargs Python would pass. */
import { VedError } from '../../errors.js';
import type { ModelFiles } from '../../io/model-files.js';
import type { ResolvedInitKwargs } from './special-tokens.js';

export interface ConvertContext {
  readonly files: ModelFiles;
  /** `files.location`, for messages. */
  readonly where: string;
  /** The tokenizer class, e.g. `RobertaTokenizer`. */
  readonly className: string;
  readonly resolved: ResolvedInitKwargs;
  /** Throws `FILE_NOT_FOUND` naming the class when one of the vocabulary files is missing. */
  require(...names: string[]): Promise<void>;
}

export function convertContext(files: ModelFiles, className: string, resolved: ResolvedInitKwargs): ConvertContext {
  return {
    files,
    where: files.location,
    className,
    resolved,
    async require(...names) {
      for (const name of names) {
        if (!(await files.exists(name))) {
          throw new VedError(
            'FILE_NOT_FOUND',
            `${files.location} has neither tokenizer.json nor ${name}, which ${className} (tokenizer_config.json "tokenizer_class") reads its vocabulary from (${names.join(' + ')}).`,
          );
        }
      }
    },
  };
}
