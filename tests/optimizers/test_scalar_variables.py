"""0-d variables (learnable scalars such as Swish's beta) update exactly like 1-element ones."""

import numpy as np
import pytest

from ember import optimizers
from ember.variables import Variable

ALGORITHMS = [
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: optimizers.Adagrad(0.1),
    lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    lambda: optimizers.Adam(0.1, amsgrad=True),
    lambda: optimizers.AdamW(0.1),
    lambda: optimizers.Nadam(0.1),
    lambda: optimizers.Adadelta(1.0),
    lambda: optimizers.Adamax(0.1),
    lambda: optimizers.Lion(0.01),
]


@pytest.mark.parametrize("make", ALGORITHMS)
def test_scalar_matches_one_element_vector(make):
    scalar = Variable(np.array(1.5, dtype="float32"), name="s")
    vector = Variable(np.array([1.5], dtype="float32"), name="v")
    opt_s, opt_v = make(), make()
    for g in (0.3, -1.2, 0.7, 2.0):
        opt_s.apply([np.array(g, dtype="float32")], [scalar])
        opt_v.apply([np.array([g], dtype="float32")], [vector])
        assert scalar.shape == ()
        assert scalar.numpy() == vector.numpy()[0]
    assert scalar.numpy() != 1.5
