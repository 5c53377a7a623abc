"""Learning-rate schedules against values computed by hand from their formulas."""

import json
import math

import numpy as np
import pytest

from ember.optimizers import schedules
from ember.variables import Variable


def close(a, b):
    return a == pytest.approx(b, rel=1e-12, abs=1e-15)


def test_exponential_decay():
    s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    for step in (0, 1, 7, 10, 25):
        assert close(s(step), 0.1 * 0.5 ** (step / 10))
    stairs = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [stairs(k) for k in (0, 9, 10, 19, 20)] == [0.1, 0.1, 0.05, 0.05, 0.025]


def test_piecewise_constant_decay():
    s = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [s(k) for k in (0, 10, 11, 20, 21, 1000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    assert isinstance(schedules.PiecewiseConstantDecay([1], [1, 2])(0), float)
    with pytest.raises(ValueError, match="len\\(boundaries\\) == len\\(values\\) - 1"):
        schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5])


def test_inverse_time_decay():
    s = schedules.InverseTimeDecay(0.1, decay_steps=4, decay_rate=0.5)
    for step in (0, 1, 6, 40):
        assert close(s(step), 0.1 / (1 + 0.5 * step / 4))
    stairs = schedules.InverseTimeDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)
    assert close(stairs(7), 0.1 / 1.5)
    assert close(stairs(8), 0.1 / 2.0)


def test_polynomial_decay():
    s = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.1, power=2.0)
    for step in (0, 3, 10):
        assert close(s(step), 0.9 * (1 - step / 10) ** 2 + 0.1)
    assert close(s(50), 0.1)  # held at the end
    assert close(schedules.PolynomialDecay(1.0, 10)(5), (1.0 - 0.0001) * 0.5 + 0.0001)


def test_polynomial_decay_cycle():
    s = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    assert close(s(0), 1.0)
    assert close(s(5), 0.5)
    assert close(s(10), 0.0)
    assert close(s(15), 1 - 15 / 20)  # decay_steps doubled: ceil(15 / 10) = 2
    assert close(s(25), 1 - 25 / 30)


def test_cosine_decay():
    s = schedules.CosineDecay(0.5, decay_steps=100, alpha=0.2)
    for step in (0, 25, 50, 99, 100):
        cosine = 0.5 * (1 + math.cos(math.pi * step / 100))
        assert close(s(step), 0.5 * (0.8 * cosine + 0.2))
    assert close(s(500), 0.5 * 0.2)  # clamped at decay_steps


def test_cosine_decay_with_warmup():
    s = schedules.CosineDecay(0.0, decay_steps=100, warmup_target=1.0, warmup_steps=10)
    assert close(s(0), 0.0)
    assert close(s(4), 0.4)
    assert close(s(10), 1.0)
    assert close(s(60), 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert close(s(110), 0.0)
    assert close(s(1000), 0.0)
    no_warmup_steps = schedules.CosineDecay(0.1, decay_steps=10, warmup_target=1.0)
    assert close(no_warmup_steps(0), 1.0)


def test_cosine_decay_restarts():
    s = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5,
                                      alpha=0.1)

    def expected(i, fraction):  # i-th period, fraction of it done
        return 0.9 * 0.5 * 0.5**i * (1 + math.cos(math.pi * fraction)) + 0.1

    assert close(s(0), 1.0)
    assert close(s(5), expected(0, 0.5))
    assert close(s(10), expected(1, 0.0))  # periods: [0, 10), [10, 30), [30, 70)
    assert close(s(20), expected(1, 0.5))
    assert close(s(30), expected(2, 0.0))
    assert close(s(60), expected(2, 0.75))
    constant_period = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0)
    assert close(constant_period(13), 0.5 * (1 + math.cos(math.pi * 0.3)))
    assert close(constant_period(20), 1.0)


def test_one_cycle_cos():
    s = schedules.OneCycle(max_learning_rate=1.0, total_steps=100)
    initial, minimum = 1.0 / 25, 1.0 / 25 / 1e4

    def cos(start, end, pct):
        return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)

    assert close(s(0), initial)
    assert close(s(10), cos(initial, 1.0, 10 / 29))
    assert close(s(29), 1.0)  # the warm-up ends at pct_start * total_steps - 1
    assert close(s(64), cos(1.0, minimum, 35 / 70))
    assert close(s(99), minimum)
    with pytest.raises(ValueError, match="step <= total_steps=100"):
        s(101)


def test_one_cycle_linear_three_phase():
    s = schedules.OneCycle(max_learning_rate=2.0, total_steps=100, pct_start=0.25,
                           div_factor=10.0, final_div_factor=100.0, anneal_strategy="linear",
                           three_phase=True)
    initial, minimum = 0.2, 0.002
    assert close(s(12), initial + (2.0 - initial) * 12 / 24)
    assert close(s(24), 2.0)
    assert close(s(36), 2.0 + (initial - 2.0) * 12 / 24)  # back down by step 48
    assert close(s(48), initial)
    assert close(s(70), initial + (minimum - initial) * 22 / 51)
    assert close(s(99), minimum)


def test_cyclical_lr_modes():
    tri = schedules.CyclicalLR(0.1, 1.0, step_size=10)
    assert [round(tri(k), 12) for k in (0, 5, 10, 15, 20, 25)] == [0.1, 0.55, 1.0, 0.55, 0.1,
                                                                 0.55]
    tri2 = schedules.CyclicalLR(0.1, 1.0, step_size=10, mode="triangular2")
    assert close(tri2(10), 1.0)
    assert close(tri2(30), 0.1 + 0.9 / 2)  # second cycle: half the amplitude
    assert close(tri2(50), 0.1 + 0.9 / 4)
    exp = schedules.CyclicalLR(0.1, 1.0, step_size=10, mode="exp_range", gamma=0.99)
    assert close(exp(10), 0.1 + 0.9 * 0.99**10)
    assert close(exp(35), 0.1 + 0.9 * 0.5 * 0.99**35)
    with pytest.raises(ValueError, match="mode="):
        schedules.CyclicalLR(0.1, 1.0, step_size=10, mode="sawtooth")


def test_linear_warmup():
    s = schedules.LinearWarmup(10, schedules.ExponentialDecay(1.0, 10, 0.5),
                               initial_learning_rate=0.2)
    assert close(s(0), 0.2)
    assert close(s(5), 0.2 + 0.8 * 0.5)
    assert close(s(10), 1.0)
    assert close(s(30), 0.25)
    constant = schedules.LinearWarmup(4, 0.5)
    assert [constant(k) for k in (0, 2, 4, 100)] == [0.0, 0.25, 0.5, 0.5]


def test_step_may_be_a_variable_or_array():
    s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    step = Variable(np.array(10), dtype="int64", trainable=False)
    assert close(s(step), 0.05)
    assert close(s(np.int64(10)), 0.05)
    assert isinstance(s(step), float)


@pytest.mark.parametrize("cls,kwargs,arg", [
    (schedules.ExponentialDecay, {"initial_learning_rate": 0.1, "decay_rate": 0.5},
     "decay_steps"),
    (schedules.InverseTimeDecay, {"initial_learning_rate": 0.1, "decay_rate": 0.5},
     "decay_steps"),
    (schedules.PolynomialDecay, {"initial_learning_rate": 0.1}, "decay_steps"),
    (schedules.CosineDecay, {"initial_learning_rate": 0.1}, "decay_steps"),
    (schedules.CosineDecayRestarts, {"initial_learning_rate": 0.1}, "first_decay_steps"),
    (schedules.OneCycle, {"max_learning_rate": 0.1}, "total_steps"),
    (schedules.CyclicalLR, {"base_learning_rate": 0.1, "max_learning_rate": 1.0}, "step_size"),
])
def test_steps_must_be_positive(cls, kwargs, arg):
    with pytest.raises(ValueError, match=f"Received: {arg}=0"):
        cls(**kwargs, **{arg: 0})


SCHEDULES = [
    schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True),
    schedules.PiecewiseConstantDecay([5, 10], [0.3, 0.2, 0.1]),
    schedules.InverseTimeDecay(0.1, 3, 0.5),
    schedules.PolynomialDecay(0.1, 20, end_learning_rate=0.01, power=0.5, cycle=True),
    schedules.CosineDecay(0.1, 50, alpha=0.1, warmup_target=0.5, warmup_steps=5),
    schedules.CosineDecayRestarts(0.1, 7, t_mul=1.5, m_mul=0.8, alpha=0.05),
    schedules.OneCycle(0.5, 60, pct_start=0.4, three_phase=True),
    schedules.CyclicalLR(0.01, 0.1, 4, mode="exp_range", gamma=0.9),
    schedules.LinearWarmup(5, schedules.CosineDecay(0.1, 20), initial_learning_rate=0.01),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_serialize_round_trip(schedule):
    config = json.loads(json.dumps(schedules.serialize(schedule)))
    assert config["class_name"] == type(schedule).__name__
    clone = schedules.deserialize(config)
    assert type(clone) is type(schedule)
    assert clone.get_config() == schedule.get_config()
    for step in range(0, 60, 3):
        assert clone(step) == schedule(step)
    assert schedules.get(config).get_config() == schedule.get_config()
    assert schedules.get(schedule) is schedule


def test_registry_errors_and_custom_schedules():
    with pytest.raises(ValueError, match="Unknown learning rate schedule: 'CosinDecay'"):
        schedules.deserialize({"class_name": "CosinDecay", "config": {}})
    with pytest.raises(ValueError, match="Received: identifier=0.1"):
        schedules.get(0.1)

    class Halving(schedules.LearningRateSchedule):
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, step):
            return self.rate / 2 ** float(step)

        def get_config(self):
            return {"rate": self.rate}

    clone = schedules.deserialize(schedules.serialize(Halving(1.0)),
                                  custom_objects={"Halving": Halving})
    assert clone(3) == 0.125

    class Unserializable(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.1

    with pytest.raises(TypeError, match="must override get_config"):
        Unserializable().get_config()
    with pytest.raises(TypeError):
        schedules.LearningRateSchedule()
