import type { Command } from 'commander';
import { DEFAULT_CALIBRATION_EPISODES, EXPORT_FORMATS, exportRun, parseExportFormat, parseQuantize, QUANTIZE_CHOICES } from '../../export/index.js';
import { loadScenario } from '../../scenario/index.js';
import { InputError } from '../../util/index.js';
import { integerOption } from '../options.js';

interface ExportCliOptions {
  format?: string;
  quantize?: string;
  out?: string;
  scenario?: string;
  calibrationEpisodes: number;
  seed?: number;
}

/** `ns3ts export <run-dir> --format onnx|tfjs|json [--quantize int8] --out <path>`. */
export function register(program: Command): void {
  program
    .command('export')
    .description("write a trained run's actor network(s) as ONNX, TF.js layers or JSON, with what a server needs (layout, features, bounds, ADMM settings)")
    .argument('<run-dir>', 'a run directory (the --out/<run-id> of ns3ts train) of an MLP agent (maddpg-*, td3, ddpg)')
    .requiredOption('-f, --format <format>', `one of ${EXPORT_FORMATS.join(', ')}`)
    .requiredOption('-o, --out <path>', 'the file to write (onnx, json) or directory (tfjs); replaced atomically')
    .option('--quantize <scheme>', `post-training quantization: ${QUANTIZE_CHOICES.join(', ')} (onnx and json; calibrated on evaluation episodes)`)
    .option('-s, --scenario <name|path>', 'scenario of the calibration episodes (default: the one the run was trained on)')
    .option('--calibration-episodes <n>', 'evaluation episodes whose actor inputs calibrate the int8 ranges', integerOption('--calibration-episodes', { min: 1 }), DEFAULT_CALIBRATION_EPISODES)
    .option('--seed <n>', "seed of the first calibration episode (default: the scenario's seed)", integerOption('--seed'))
    .action(async (runDir: string, options: ExportCliOptions) => {
      const format = parseExportFormat(options.format);
      const quantize = options.quantize === undefined ? undefined : parseQuantize(options.quantize);
      if (!options.out) throw new InputError('--out', options.out, 'a path to write the export to');
      if (quantize === undefined && (options.scenario !== undefined || options.seed !== undefined)) {
        throw new InputError(options.scenario !== undefined ? '--scenario' : '--seed', options.scenario ?? options.seed, 'only with --quantize (they choose the calibration episodes)');
      }
      const result = await exportRun(runDir, {
        format,
        out: options.out,
        ...(quantize ? { quantize } : {}),
        ...(options.scenario ? { scenario: loadScenario(options.scenario) } : {}),
        calibrationEpisodes: options.calibrationEpisodes,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      const m = result.metadata;
      const what = `${m.agentId} (${m.arrangement === 'admm' ? `${m.sliceTypes.length} slice-type actors` : 'one cell actor'}), ${m.layout.cells} cells × ${m.layout.slices.length} slices`;
      const calibrated = result.calibration ? `, int8 calibrated on ${result.calibration.rows.reduce((a, b) => a + b, 0)} rows of ${result.calibration.episodes} episode(s)` : '';
      process.stderr.write(`exported ${what} as ${format}${calibrated}\n`);
      for (const file of result.files) process.stdout.write(`${file}\n`);
    });
}
