/**
 * ONNX exports in the Optimum / transformers.js layout, both directions:
 * `OnnxExportModel` runs published exports; `writeOnnxExport` writes ved's
 * models in that layout.
 */
export { OnnxExportModel, type OnnxLoadOptions } from './exported-model.js';
export { EXPORT_DTYPES, DTYPE_SUFFIX, checkDtypeOption, type ExportDtype, type DtypeOption } from './dtypes.js';
export {
  locateExport,
  hasOnnxExport,
  availableDtypes,
  readOnnxFile,
  DEFAULT_SUBFOLDER,
  type ExportLayout,
  type ExportFile,
  type DecoderFiles,
} from './layout.js';
export { externalDataLocations } from './external-data.js';
export { describeDecoder, describeEncoder, type DecoderSignature, type EncoderSignature, type CacheSlot } from './signature.js';
export { writeOnnxExport, exportOnnx, type OnnxExportOptions, type OnnxExportFile, type OnnxExportGraphs, type ExportSource } from './write-export.js';
export { cacheNamingFor, SEQ2SEQ_CACHE_DECODERS, type CacheNaming } from './export-graphs.js';
export { resolveModelFormat, type ModelFormat } from './format.js';
