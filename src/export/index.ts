// The export face: a run's actor networks as ONNX, TF.js layers or JSON, optionally int8-quantized.
export {
  exportRun,
  quantizeRunActors,
  readJsonExport,
  parseExportFormat,
  parseQuantize,
  EXPORT_FORMATS,
  QUANTIZE_CHOICES,
  DEFAULT_CALIBRATION_EPISODES,
  type ExportFormat,
  type QuantizeChoice,
  type ExportOptions,
  type ExportResult,
  type LoadedJsonActor,
} from './export.js';
export { readOnnxMetadata, ONNX_METADATA_KEY, EXPORT_SCHEMA_VERSION, SECONDS_OF_DAY_INPUT, type ExportMetadata, type ExportTensorInfo, type QuantizationInfo } from './metadata.js';
export { mlpToOnnx, MLP_ONNX_INPUT, MLP_ONNX_OUTPUT, ONNX_OPSET, ONNX_IR_VERSION } from './onnx.js';
export { JSON_EXPORT_FORMAT, JSON_EXPORT_VERSION, type JsonExport, type JsonExportLayer } from './formats.js';
export { collectCalibration, clockColumns, spanTheDay, type CalibrationData } from './calibrate.js';
