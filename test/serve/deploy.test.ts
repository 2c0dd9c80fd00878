// The deployment files in deploy/: Kubernetes manifests validated against the API schemas
// (kubernetes-models), the Dockerfile's structure (dockerfile-ast), the compose file's references,
// and the Grafana dashboard's queries against the metrics the server really exposes. No image is
// built and no cluster is contacted here (docs/deploy.md says what was and was not run).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { API_KEYS_ENV, hashApiKey, loadApiKeys, ServeApp, type PolicySource } from '../../src/serve/index.js';
import { packageRoot } from '../../src/util/index.js';

const deploy = join(packageRoot, 'deploy');
const read = (path: string): string => readFileSync(join(deploy, path), 'utf8');
/** Parsed YAML/JSON documents, read field by field. */
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('deploy/k8s', () => {
  const deployment = parse(read('k8s/deployment.yaml')) as Json;
  const service = parse(read('k8s/service.yaml')) as Json;
  const hpa = parse(read('k8s/hpa.yaml')) as Json;
  const secret = parse(read('k8s/secret.yaml')) as Json;

  it('every manifest validates against its Kubernetes API schema', () => {
    expect(() => new Deployment(deployment).validate()).not.toThrow();
    expect(() => new Service(service).validate()).not.toThrow();
    expect(() => new HorizontalPodAutoscaler(hpa).validate()).not.toThrow();
    expect(() => new Secret(secret).validate()).not.toThrow();
    // The validator does catch mistakes: a probe port of the wrong type, a missing selector.
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].readinessProbe.httpGet.port = { name: 'http' };
    expect(() => new Deployment(broken).validate()).toThrow();
    delete broken.spec.selector;
    expect(() => new Deployment(broken).validate()).toThrow();
  });

  it('the Deployment probes /readyz and /healthz, sets resources, runs as non-root, mounts the keys', () => {
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.resources.requests.cpu).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    const args: string[] = container.args;
    const keyFile = args[args.indexOf('--api-keys') + 1]!;
    const keyMount = container.volumeMounts.find((m: Json) => keyFile.startsWith(`${m.mountPath}/`));
    const keyVolume = pod.volumes.find((v: Json) => v.name === keyMount.name);
    expect(keyVolume.secret.secretName).toBe(secret.metadata.name);
    expect(keyVolume.secret.items[0].path).toBe(keyFile.slice(keyMount.mountPath.length + 1));
    expect(args[args.indexOf('--host') + 1]).toBe('0.0.0.0');
    // The drain must fit the grace period.
    expect(Number(args[args.indexOf('--drain-ms') + 1]) / 1000).toBeLessThan(pod.terminationGracePeriodSeconds);
  });

  it('the Service and the autoscaler point at the Deployment, and the Secret holds only hashes', () => {
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.spec.containers[0].ports.map((p: Json) => p.name)).toContain(service.spec.ports[0].targetPort);
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    const keys = loadApiKeys(undefined, { [API_KEYS_ENV]: (secret.stringData['api-keys'] as string).trim().split('\n').join(',') });
    expect(keys.get(hashApiKey('example-key-do-not-use'))).toBe('example');
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(read('Dockerfile'));
  const instructions = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  const runtimeStart = froms[froms.length - 1]!.getRange().start.line;
  const runtime = instructions.filter((i) => i.getRange().start.line >= runtimeStart);

  it('is multi-stage: a build stage, and a runtime stage that copies from it', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms.map((f) => f.getBuildStage())).toEqual(['build', 'runtime']);
    const copies = runtime.filter((i) => i.getKeyword() === 'COPY');
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const flags = (copy as unknown as { getFlags(): Array<{ getName(): string; getValue(): string | null }> }).getFlags();
      expect(flags.find((f) => f.getName() === 'from')?.getValue(), copy.getArgumentsContent()!).toBe('build');
    }
    expect(runtime.some((i) => i.getKeyword() === 'RUN' && /npm (ci|install)/.test(i.getArgumentsContent() ?? ''))).toBe(false);
  });

  it('runs as a non-root user, exposes the port, checks /healthz and starts ns3ts serve', () => {
    const users = runtime.filter((i) => i.getKeyword() === 'USER');
    expect(users).toHaveLength(1);
    const user = users[0]!.getArgumentsContent()!.split(':')[0]!;
    expect(['root', '0']).not.toContain(user);
    expect(runtime.findIndex((i) => i.getKeyword() === 'USER')).toBeLessThan(runtime.findIndex((i) => i.getKeyword() === 'ENTRYPOINT'));
    expect(runtime.find((i) => i.getKeyword() === 'EXPOSE')?.getArgumentsContent()).toBe('8080');
    const healthchecks = dockerfile.getHEALTHCHECKs();
    expect(healthchecks).toHaveLength(1);
    expect(healthchecks[0]!.getArgumentsContent()).toMatch(/CMD .*\/healthz/);
    expect(dockerfile.getENTRYPOINTs()[0]!.getArgumentsContent()).toBe('["node", "bin/ns3ts.js", "serve"]');
    const cmd = JSON.parse(dockerfile.getCMDs()[0]!.getArgumentsContent()!) as string[];
    expect(cmd).toContain('--api-keys'); // it binds beyond loopback, which needs keys
  });

  it('copies only paths that exist in the repository', () => {
    const build = instructions.filter((i) => i.getRange().start.line < runtimeStart && i.getKeyword() === 'COPY');
    for (const copy of build) {
      const parts = copy.getArgumentsContent()!.split(/\s+/);
      for (const source of parts.slice(0, -1)) expect(existsSync(join(packageRoot, source)), source).toBe(true);
    }
  });
});

describe('deploy/compose.yaml, Prometheus and Grafana', () => {
  const compose = parse(read('compose.yaml')) as Json;

  it('runs serve, Prometheus and Grafana with files that exist', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'prometheus', 'serve']);
    expect(resolve(deploy, compose.services.serve.build.context, compose.services.serve.build.dockerfile)).toBe(join(deploy, 'Dockerfile'));
    for (const name of ['prometheus', 'grafana']) {
      for (const volume of compose.services[name].volumes as string[]) expect(existsSync(resolve(deploy, volume.split(':')[0]!)), volume).toBe(true);
    }
    for (const port of [...compose.services.serve.ports, ...compose.services.grafana.ports] as string[]) expect(port).toMatch(/^127\.0\.0\.1:/);
    const scrape = parse(read('prometheus/prometheus.yml')) as Json;
    expect(scrape.scrape_configs[0].static_configs[0].targets).toEqual(['serve:8080']);
  });

  it('the Prometheus config passes promtool when it is installed', () => {
    const check = spawnSync('promtool', ['check', 'config', join(deploy, 'prometheus/prometheus.yml')], { encoding: 'utf8' });
    if (check.error) {
      process.stderr.write('\n*** promtool not found (apt-get install prometheus): deploy/prometheus/prometheus.yml not checked by it ***\n\n');
      return;
    }
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it('every dashboard query names metrics the server exposes', async () => {
    const dashboard = JSON.parse(read('grafana/dashboards/ns3ts-serve.json')) as Json;
    const datasource = parse(read('grafana/provisioning/datasources/prometheus.yaml')) as Json;
    const source: PolicySource = {
      metadata: {
        source: 'test',
        kind: 'checkpoint',
        agent: 'test',
        hash: '0'.repeat(64),
        version: 'test@0',
        scenario: null,
        trainedCells: 1,
        slices: [{ name: 'a', type: 'eMBB', phiTarget: 1, delayTarget: 1 }],
        features: [],
        timeOfDay: false,
        bounds: { lower: [0], upper: [1] },
        admm: { rho: 1, maxIterations: 10, epsAbs: 1e-4, epsRel: 1e-3, balance: true, mu: 10, tau: 2, rhoMin: 1e-3, rhoMax: 1e3, budget: 1 - 1e-9 },
        decisionAdmmIterations: null,
        loadedAt: '',
      },
      predict: () => new Float32Array(1),
    };
    const server = await ServeApp.create({ policy: 'checkpoint:test', loadSource: async () => source });
    try {
      await server.app.inject('/healthz');
      await server.reload();
      const exposed = (await server.app.inject('/metrics')).body;
      const names = new Set([...exposed.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((m) => m[1]!));
      const queries: string[] = dashboard.panels.flatMap((p: Json) => p.targets.map((t: Json) => t.expr as string));
      expect(queries.length).toBeGreaterThan(8);
      for (const q of queries) {
        for (const [metric] of q.matchAll(/ns3ts_serve_[a-z0-9_]+/g)) expect(names.has(metric), `${metric} (in ${q})`).toBe(true);
      }
      for (const panel of dashboard.panels) expect(panel.datasource.uid).toBe(datasource.datasources[0].uid);
    } finally {
      await server.close();
    }
  });
});
