// The layers of src/ (docs/architecture.md), checked by `npm run lint`. Upper layers import lower
// ones only, and a folder imports another folder only through its index.ts:
//
//   cli/ -> train/, eval/, sweep/, report/, tune/, serve/, export/ -> agents/ -> families/ -> remote/ -> server/ -> wire/ -> rollout/
//        -> env/, scenario/, constraints/, native/, util/, enforce/
//
// Each "not-*" rule below forbids one upward edge: the folders of one layer must not import the
// folders above it. Folders of the same layer may import each other; the cycle rule keeps that
// one-way. Type-only imports count (tsPreCompilationDeps), so a cycle through types fails too.

/** Folders by layer, top first. */
const LAYERS = [
  ['cli'],
  ['train', 'eval', 'sweep', 'report', 'tune', 'serve', 'export'],
  ['agents'],
  ['families'],
  ['remote'],
  ['server'],
  ['wire'],
  ['rollout'],
  ['env', 'scenario', 'constraints', 'native', 'util', 'enforce'],
];

const folders = (names) => `^src/(${names.join('|')})/`;

/** One rule per layer boundary: nothing below layer i imports layer i. */
const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `not-${layer.join('-')}`,
  comment: `${layer.join(', ')} sit above ${LAYERS.slice(i + 1).flat().join(', ')}: those must not import them`,
  severity: 'error',
  from: { path: folders(LAYERS.slice(i + 1).flat()) },
  to: { path: folders(layer) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles in src/, runtime or type-only.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'Every module in src/ is imported by another (entry points and declaration files aside).',
      severity: 'error',
      from: { orphan: true, path: '^src/', pathNot: ['\\.d\\.ts$', '^src/cli/main\\.ts$', '^src/index\\.ts$', '^src/remote\\.ts$'] },
      to: {},
    },
    ...layerRules,
    {
      name: 'only-through-index',
      comment: "A folder imports another folder only through that folder's index.ts.",
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'scenario-no-env',
      comment: 'scenario/ is plain data and its loader: it imports neither the env core nor a family.',
      severity: 'error',
      from: { path: '^src/scenario/' },
      to: { path: '^src/(env|families)/' },
    },
    {
      name: 'env-no-transport',
      comment: 'env/ is the in-process core: no ZeroMQ.',
      severity: 'error',
      from: { path: '^src/env/' },
      to: { path: 'node_modules/zeromq/' },
    },
    {
      name: 'library-face-no-transport',
      comment: "The package's main face (src/index.ts) runs without ZeroMQ; the transport is the ns3ts/remote subpath.",
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: ['^src/(remote|server|wire)/', 'node_modules/zeromq/'] },
    },
    {
      name: 'families-load-remote-lazily',
      comment: 'A family reaches remote/ (and so ZeroMQ) only through a dynamic import, for env.kind ns3.',
      severity: 'error',
      from: { path: '^src/families/' },
      to: { path: '^src/remote/', dynamic: false, dependencyTypesNot: ['type-only', 'type-import'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/wire/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
