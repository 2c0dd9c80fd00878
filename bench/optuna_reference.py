#!/usr/bin/env python3
"""Optuna's TPE on the test functions of `npm run bench:tune` (src/tune/test-functions.ts defines
the same functions): prints {"<function>": [best value per study seed, ...]} as one JSON line.

Optional: bench/tune.ts runs it when this Python can import optuna (Debian python3-optuna).

    python3 bench/optuna_reference.py --trials 100 --seeds 10 [--multivariate]
"""
import argparse
import json
import math
import random

import optuna

BRANIN = dict(a=1.0, b=5.1 / (4 * math.pi ** 2), c=5 / math.pi, r=6.0, s=10.0, t=1 / (8 * math.pi))
H6_ALPHA = [1.0, 1.2, 3.0, 3.2]
H6_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
H6_P = [[v * 1e-4 for v in row] for row in [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
]]
NOISE_SD = 10.0


def branin(x1, x2):
    p = BRANIN
    return p["a"] * (x2 - p["b"] * x1 ** 2 + p["c"] * x1 - p["r"]) ** 2 + p["s"] * (1 - p["t"]) * math.cos(x1) + p["s"]


def hartmann6(x):
    total = 0.0
    for i in range(4):
        inner = sum(H6_A[i][j] * (x[j] - H6_P[i][j]) ** 2 for j in range(6))
        total += H6_ALPHA[i] * math.exp(-inner)
    return -total


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def space(trial, names, low, high):
    return [trial.suggest_float(n, low, high) for n in names]


FUNCTIONS = {
    # name: (suggest, exact value, noise sd)
    "branin": (lambda t: [t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15)], lambda x: branin(*x), 0.0),
    "hartmann6": (lambda t: space(t, [f"x{i}" for i in range(6)], 0, 1), hartmann6, 0.0),
    "noisy-rosenbrock4": (lambda t: space(t, [f"x{i}" for i in range(4)], -2, 2), rosenbrock, NOISE_SD),
}


def run_study(name, seed, trials, multivariate):
    suggest, exact, noise = FUNCTIONS[name]
    rng = random.Random(seed)
    exact_of = {}

    def objective(trial):
        x = suggest(trial)
        value = exact(x)
        exact_of[trial.number] = value
        return value + (rng.gauss(0, noise) if noise > 0 else 0.0)

    # Optuna's own defaults unless --multivariate is given (Optuna 3 and 4: univariate; 5: multivariate).
    options = {"multivariate": True} if multivariate else {}
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, **options), direction="minimize")
    study.optimize(objective, n_trials=trials)
    # The best trial by its observed value, scored by its noise-free value.
    return exact_of[study.best_trial.number]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--multivariate", action="store_true", help="multivariate TPE (default: the installed Optuna's default)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out = {}
    for name in args.functions.split(","):
        out[name] = [run_study(name, seed, args.trials, args.multivariate) for seed in range(1, args.seeds + 1)]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
