"""Connectivity inference on data with a known answer: spikes generated from a
seeded network, W0 fitted back by maximum likelihood (cascade.fit), and how
well it matches the truth beside a cross-correlation baseline. Prints one
JSON line."""
import json

import numpy as np

import cascade
from cascade.datasets import NormalGenerator
from cascade.models import BernoulliGLM


def main(n=30, steps=200_000):
    (W,) = NormalGenerator(n, mean=0, std=5, glorot=True, rng=21).generate(1)
    spikes = BernoulliGLM(rng=5).simulate(W, n_steps=steps, verbose=False)   # [N, steps]
    fit = cascade.fit(spikes, "bernoulli_glm", truth=W)
    W_fit = fit["weights"]                                                   # [N, N], rows presynaptic
    W_true = W.dense()
    true_edges = W_true != 0
    out = {"neurons": n, "steps": steps, "edges": fit["edges"], "converged": fit["converged"],
           "iterations": len(fit["history"]) - 1,
           "weight_correlation": fit["recovery"]["weight_correlation"], "auc": fit["recovery"]["auc"],
           "sign_accuracy": fit["recovery"]["sign_accuracy"],
           "baseline_weight_correlation": fit["baseline"]["weight_correlation"],
           "largest_error": float(np.abs(W_fit - W_true)[true_edges].max())}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
