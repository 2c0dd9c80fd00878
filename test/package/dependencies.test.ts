import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/index.js';
import * as tf from '../../src/agents/tf.js';

interface PackageJson {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as PackageJson;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('TensorFlow.js dependencies', () => {
  it('depends on the TF.js packages in use, not the @tensorflow/tfjs bundle; tfjs-node is an optional peer', () => {
    const tfDeps = Object.keys(pkg.dependencies ?? {}).filter((name) => name.startsWith('@tensorflow/'));
    expect(tfDeps.sort()).toEqual(['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']);
    expect(pkg.optionalDependencies?.['@tensorflow/tfjs-node']).toBeUndefined();
    expect(pkg.peerDependencies?.['@tensorflow/tfjs-node']).toBeTruthy();
    expect(pkg.peerDependenciesMeta?.['@tensorflow/tfjs-node']?.optional).toBe(true);
  });

  it('src/, bench/ and test/ import TF.js from src/agents/tf.ts only', () => {
    const offenders = ['src', 'bench', 'test']
      .flatMap((dir) => sources(join(packageRoot, dir)))
      .filter((file) => !file.endsWith(join('src', 'agents', 'tf.ts')))
      .filter((file) => /from '@tensorflow\/tfjs(-core|-layers|-backend-cpu)?'/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(packageRoot, file));
    expect(offenders).toEqual([]);
  });

  it('the one module keeps tf.version.tfjs and the ops, layers and gradients the agents use', () => {
    expect(tf.version.tfjs).toMatch(/^4\.\d+\.\d+/);
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 2, inputShape: [3], activation: 'relu' }));
    expect(model.predict(tf.zeros([1, 3])) as tf.Tensor).toBeInstanceOf(tf.Tensor);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.relu(x)));
    expect(Array.from(grad(tf.tensor1d([-1, 2])).dataSync())).toEqual([0, 1]);
  });
});
