"""A RectifiedLNP that starts nearly silent, its threshold tuned to 20 Hz
(the reference's tuning tutorial in Cascade's Python API). Prints one JSON
line: the rate before and after, and the tuned threshold."""
import json

from cascade.datasets import NormalGenerator
from cascade.models import RectifiedLNP


def main(n_epochs=150):
    (network,) = NormalGenerator(100, mean=0, std=1, glorot=True, rng=2).generate(1)
    model = RectifiedLNP(r=0.01, theta=0.001, rng=2)  # the default r = 0.025 runs away on this network
    rate = lambda x: float(x.mean() * 1000 / model.dt)
    before = rate(model.simulate(network, n_steps=3000, verbose=False))
    history = model.tune(network, firing_rate=20.0, tunable_parameters=["theta"], lr=3e-4, n_steps=500,
                         n_epochs=n_epochs, verbose=False)
    after = rate(model.simulate(network, n_steps=20000, verbose=False))
    out = {"before_hz": before, "after_hz": after, "theta": model.theta, "epochs": len(history)}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
