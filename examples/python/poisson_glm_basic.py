"""The reference's basic PoissonGLM example in Cascade's Python API: ten
40-neuron networks simulated as one batch, the background b tuned so that
they fire at 62.5 Hz. Prints one JSON line: rates before and after, per
network after, and b."""
import json

import numpy as np

from cascade.datasets import NormalGenerator
from cascade.models import PoissonGLM


def main(n_epochs=150):
    networks = NormalGenerator(40, mean=0, std=1, glorot=True, rng=3).generate(10)
    model = PoissonGLM(dt=1.0, b=-0.02, rng=3)  # starts below the target
    rate = lambda x: float(x.mean() * 1000 / model.dt)
    before = rate(model.simulate(networks, n_steps=2000, verbose=False))
    model.tune(networks, firing_rate=62.5, tunable_parameters=["b"], lr=0.002, n_steps=300, n_epochs=n_epochs,
               verbose=False)
    x = model.simulate(networks, n_steps=10000, verbose=False).reshape(10, 40, 10000)
    out = {"before_hz": before, "after_hz": rate(x), "per_network_hz": [rate(n) for n in x], "b": model.b}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
