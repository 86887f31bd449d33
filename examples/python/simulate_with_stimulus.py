"""Ten generated 50-neuron networks in batches of five, a regular stimulus on
four excitatory neurons of each (the reference's stimulus tutorial, in
Cascade's Python API; only the imports differ from a spikeometric script).

Prints one JSON line: the rates of stimulated and unstimulated neurons while
the stimulus is on and off.
"""
import json

import numpy as np

from cascade.datasets import NormalGenerator
from cascade.models import BernoulliGLM
from cascade.stimulus import RegularStimulus


def main(n_steps=20000):
    networks = NormalGenerator(50, mean=0, std=5, glorot=True, rng=1).generate(10)
    mask = np.zeros(50, dtype=bool)
    mask[:4] = True  # the first neurons are excitatory (Dale's split)
    stimulus = RegularStimulus(strength=4.0, period=100, tau=10, stop=n_steps, stimulus_masks=[mask] * 10,
                               batch_size=5)
    model = BernoulliGLM(rng=1)
    model.add_stimulus(stimulus)
    spikes = [model.simulate(networks[k:k + 5], n_steps=n_steps, verbose=False) for k in (0, 5)]
    x = np.concatenate(spikes).reshape(10, 50, n_steps)  # [network, neuron, step]
    on = (np.arange(n_steps) % 100) < 10
    rate = lambda a: float(a.mean() * 1000)  # dt = 1 ms
    out = {
        "stimulated_on_hz": rate(x[:, :4][:, :, on]),
        "stimulated_off_hz": rate(x[:, :4][:, :, ~on]),
        "others_hz": rate(x[:, 4:]),
        "batches": stimulus.n_batches,
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
