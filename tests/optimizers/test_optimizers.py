"""Optimizers against updates computed by hand from their formulas (in float64 NumPy)."""

import json
import warnings

import numpy as np
import pytest

import ember
from ember import optimizers
from ember.optimizers import schedules
from ember.variables import Variable

W0 = [1.0, -2.0, 0.5]
GRADS = [[0.5, -1.0, 2.0], [-3.0, 0.8, 1.5], [0.1, 0.1, -0.7]]
TOL = {"float64": dict(rtol=1e-9, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-6)}


# ---- the update rules, written from the formulas in float64 ---------------------------
def sgd(w, g, t, lr, s, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - lr * g
    s["m"] = momentum * s.get("m", 0.0) - lr * g
    return w + momentum * s["m"] - lr * g if nesterov else w + s["m"]


def adagrad(w, g, t, lr, s, initial_accumulator_value=0.1, epsilon=1e-7):
    s["a"] = s.get("a", initial_accumulator_value) + g**2
    return w - lr * g / np.sqrt(s["a"] + epsilon)


def rmsprop(w, g, t, lr, s, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g**2
    denominator = s["v"] + epsilon
    if centered:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        denominator = s["v"] - s["a"] ** 2 + epsilon
    increment = lr * g / np.sqrt(denominator)
    if momentum > 0:
        s["mom"] = momentum * s.get("mom", 0.0) + increment
        return w - s["mom"]
    return w - increment


def adam(w, g, t, lr, s, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g**2
    v = s["v"]
    if amsgrad:
        s["v_hat"] = v = np.maximum(s.get("v_hat", 0.0), v)
    alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * s["m"] / (np.sqrt(v) + epsilon)


def nadam(w, g, t, lr, s, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    u_t = beta_1 * (1 - 0.5 * 0.96**t)
    u_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
    s["u_product"] = s.get("u_product", 1.0) * u_t
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g**2
    m_hat = (u_next * s["m"] / (1 - s["u_product"] * u_next)
             + (1 - u_t) * g / (1 - s["u_product"]))
    v_hat = s["v"] / (1 - beta_2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)


def adadelta(w, g, t, lr, s, rho=0.95, epsilon=1e-7):
    s["g2"] = rho * s.get("g2", 0.0) + (1 - rho) * g**2
    delta = -np.sqrt(s.get("d2", 0.0) + epsilon) * g / np.sqrt(s["g2"] + epsilon)
    s["d2"] = rho * s.get("d2", 0.0) + (1 - rho) * delta**2
    return w + lr * delta


def adamax(w, g, t, lr, s, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
    return w - lr * s["m"] / ((1 - beta_1**t) * (s["u"] + epsilon))


def lion(w, g, t, lr, s, beta_1=0.9, beta_2=0.99):
    m = s.get("m", 0.0)
    w = w - lr * np.sign(beta_1 * m + (1 - beta_1) * g)
    s["m"] = beta_2 * m + (1 - beta_2) * g
    return w


def reference(rule, lr, hp, weight_decay=None, grads=GRADS, w0=W0):
    """Weights after each step; ``lr`` is a float or a function of the 0-based step."""
    w, state, history = np.array(w0, dtype="float64"), {}, []
    for t, g in enumerate(grads, start=1):
        rate = lr(t - 1) if callable(lr) else lr
        if weight_decay is not None:
            w = w - w * weight_decay * rate
        w = rule(w, np.asarray(g, dtype="float64"), t, rate, state, **hp)
        history.append(w)
    return history


# name: (class, constructor kwargs, rule, rule kwargs, weight decay of the rule)
CASES = {
    "sgd": (optimizers.SGD, {"learning_rate": 0.1}, sgd, {}, None),
    "sgd_momentum": (optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.9}, sgd,
                     {"momentum": 0.9}, None),
    "sgd_nesterov": (optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
                     sgd, {"momentum": 0.9, "nesterov": True}, None),
    "adagrad": (optimizers.Adagrad,
                {"learning_rate": 0.5, "initial_accumulator_value": 0.2, "epsilon": 1e-3},
                adagrad, {"initial_accumulator_value": 0.2, "epsilon": 1e-3}, None),
    "rmsprop": (optimizers.RMSprop, {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-3},
                rmsprop, {"rho": 0.8, "epsilon": 1e-3}, None),
    "rmsprop_centered": (optimizers.RMSprop,
                         {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-2, "centered": True},
                         rmsprop, {"rho": 0.8, "epsilon": 1e-2, "centered": True}, None),
    "rmsprop_centered_momentum": (
        optimizers.RMSprop,
        {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "epsilon": 1e-2, "centered": True},
        rmsprop, {"rho": 0.8, "momentum": 0.5, "epsilon": 1e-2, "centered": True}, None),
    "adam": (optimizers.Adam,
             {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01},
             adam, {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01}, None),
    "adam_amsgrad": (optimizers.Adam,
                     {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01,
                      "amsgrad": True},
                     adam, {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01, "amsgrad": True},
                     None),
    "adamw": (optimizers.AdamW,
              {"learning_rate": 0.1, "weight_decay": 0.2, "beta_1": 0.8, "beta_2": 0.95,
               "epsilon": 0.01},
              adam, {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01}, 0.2),
    "nadam": (optimizers.Nadam,
              {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01},
              nadam, {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01}, None),
    "adadelta": (optimizers.Adadelta, {"learning_rate": 0.5, "rho": 0.8, "epsilon": 1e-2},
                 adadelta, {"rho": 0.8, "epsilon": 1e-2}, None),
    "adamax": (optimizers.Adamax,
               {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01},
               adamax, {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01}, None),
    "lion": (optimizers.Lion, {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.95},
             lion, {"beta_1": 0.8, "beta_2": 0.95}, None),
    "sgd_weight_decay": (optimizers.SGD,
                         {"learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.3},
                         sgd, {"momentum": 0.5}, 0.3),
    "adam_weight_decay": (optimizers.Adam,
                          {"learning_rate": 0.1, "weight_decay": 0.3, "epsilon": 0.01},
                          adam, {"epsilon": 0.01}, 0.3),
}


def f32(x: float) -> float:
    """The float32 value of ``x``: a float learning rate lives in a float32 variable (Keras)."""
    return float(np.float32(x))


def run(opt, dtype, grads=GRADS, w0=W0):
    w = Variable(np.array(w0, dtype=dtype), dtype=dtype, name="w")
    history = []
    for g in grads:
        opt.apply([np.array(g, dtype=dtype)], [w])
        history.append(w.numpy().copy())
    return w, history


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_first_three_steps_match_the_formula(case, dtype):
    cls, kwargs, rule, hp, weight_decay = CASES[case]
    opt = cls(**kwargs)
    w, history = run(opt, dtype)
    expected = reference(rule, f32(kwargs["learning_rate"]), hp, weight_decay)
    for got, want in zip(history, expected, strict=True):
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got, want, **TOL[dtype])
    assert w.dtype == np.dtype(dtype)
    assert opt.iterations.dtype == np.int64 and int(opt.iterations) == 3
    slots = opt.variables[2:]
    assert all(v.dtype == np.dtype(dtype) for v in slots)
    assert not any(v.trainable for v in opt.variables)


@pytest.mark.parametrize("case", sorted(CASES))
def test_twenty_random_steps_match_the_formula(case):
    cls, kwargs, rule, hp, weight_decay = CASES[case]
    rng = np.random.default_rng(1)
    grads = list(rng.normal(size=(20, 4)) * rng.uniform(0.1, 3.0, size=(20, 1)))
    w0 = rng.normal(size=4)
    _, history = run(cls(**kwargs), "float64", grads=grads, w0=w0)
    expected = reference(rule, f32(kwargs["learning_rate"]), hp, weight_decay, grads, w0)
    np.testing.assert_allclose(history, expected, rtol=1e-9, atol=1e-12)


def test_amsgrad_and_centering_change_the_result():
    """The variants differ from the plain rule on GRADS, so their tests can fail."""
    plain = reference(adam, 0.1, {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01})
    ams = reference(adam, 0.1, {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01, "amsgrad": True})
    assert not np.allclose(plain[2], ams[2], rtol=1e-6)
    plain = reference(rmsprop, 0.01, {"rho": 0.8, "epsilon": 1e-2})
    centered = reference(rmsprop, 0.01, {"rho": 0.8, "epsilon": 1e-2, "centered": True})
    assert not np.allclose(plain[0], centered[0], rtol=1e-6)


# ---- clipping, schedules, counters -----------------------------------------------------
def _two_variables(dtype):
    a = Variable(np.array([1.0, -2.0, 0.5], dtype=dtype), dtype=dtype, name="a")
    b = Variable(np.array([[3.0, 4.0]], dtype=dtype), dtype=dtype, name="b")
    return a, b


GRADS_A = [np.array([3.0, -4.0, 0.0]), np.array([0.1, 0.2, -0.2]), np.array([6.0, 0.0, 8.0])]
GRADS_B = [np.array([[1.0, 2.0]]), np.array([[0.0, -0.1]]), np.array([[-2.0, 0.5]])]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("clip", ["clipnorm", "clipvalue", "global_clipnorm"])
def test_gradient_clipping(clip, dtype):
    limit = 1.5
    opt = optimizers.SGD(learning_rate=0.1, **{clip: limit})
    a, b = _two_variables(dtype)
    want_a, want_b = a.numpy().astype("float64"), b.numpy().astype("float64")
    lr = f32(0.1)
    for ga, gb in zip(GRADS_A, GRADS_B, strict=True):
        if clip == "clipnorm":
            ca = ga * limit / max(np.linalg.norm(ga), limit)
            cb = gb * limit / max(np.linalg.norm(gb), limit)
        elif clip == "clipvalue":
            ca, cb = np.clip(ga, -limit, limit), np.clip(gb, -limit, limit)
        else:
            norm = np.sqrt(np.sum(ga**2) + np.sum(gb**2))
            ca, cb = ga * limit / max(norm, limit), gb * limit / max(norm, limit)
        given = [ga.astype(dtype), gb.astype(dtype)]
        copies = [g.copy() for g in given]
        opt.apply(given, [a, b])
        for g, c in zip(given, copies, strict=True):
            np.testing.assert_array_equal(g, c)  # the caller's gradients are untouched
        want_a, want_b = want_a - lr * ca, want_b - lr * cb
        np.testing.assert_allclose(a.numpy(), want_a, **TOL[dtype])
        np.testing.assert_allclose(b.numpy(), want_b, **TOL[dtype])


def test_global_clipnorm_with_non_finite_norm_gives_nan():
    opt = optimizers.SGD(learning_rate=0.1, global_clipnorm=1.0)
    w = Variable(np.zeros(2), name="w")
    with np.errstate(invalid="ignore", over="ignore"):
        opt.apply([np.array([np.inf, 1.0], dtype="float32")], [w])
    assert np.isnan(w.numpy()).all()


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match="at most one of `clipnorm`"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_schedule_as_learning_rate(dtype):
    schedule = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    opt = optimizers.SGD(learning_rate=schedule, momentum=0.5)
    _, history = run(opt, dtype)
    expected = reference(sgd, lambda step: 0.1 * 0.5 ** (step / 2), {"momentum": 0.5})
    for got, want in zip(history, expected, strict=True):
        np.testing.assert_allclose(got, want, **TOL[dtype])
    assert opt.learning_rate == pytest.approx(0.1 * 0.5**1.5)
    assert len(opt.variables) == 2  # iteration and the momentum: no learning-rate variable


def test_callable_learning_rate():
    opt = optimizers.SGD(learning_rate=lambda: 0.25)
    _, history = run(opt, "float64")
    np.testing.assert_allclose(history[-1], reference(sgd, 0.25, {})[-1], rtol=1e-12)
    assert opt.learning_rate == 0.25


def test_learning_rate_property_and_setter():
    opt = optimizers.Adam(learning_rate=0.1)
    assert isinstance(opt.learning_rate, float) and opt.learning_rate == f32(0.1)
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5
    assert opt.get_config()["learning_rate"] == 0.5
    opt.learning_rate = schedules.PiecewiseConstantDecay([0], [0.3, 0.2])
    assert opt.learning_rate == 0.3
    assert [v.name for v in opt.variables] == ["iteration"]
    run(opt, "float32", grads=GRADS[:1])
    assert opt.learning_rate == 0.2
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1


@pytest.mark.parametrize("bad", ["fast", -0.1, None, True])
def test_bad_learning_rate(bad):
    with pytest.raises(ValueError, match="Received: learning_rate="):
        optimizers.SGD(learning_rate=bad)


def test_iterations_counts_steps():
    opt = optimizers.SGD()
    w = Variable(np.zeros(3), name="w")
    assert int(opt.iterations) == 0
    for step in range(1, 5):
        opt.apply([np.ones(3)], [w])
        assert int(opt.iterations) == step
    assert opt.iterations is opt.variables[0] and opt.iterations.dtype == np.int64


def test_variables_order_and_names():
    opt = optimizers.Adam(amsgrad=True)
    a, b = _two_variables("float32")
    opt.build([a, b])
    names = [v.name for v in opt.variables]
    assert names == ["iteration", "learning_rate", "a_momentum", "b_momentum", "a_velocity",
                     "b_velocity", "a_velocity_hat", "b_velocity_hat"]
    assert opt.variables[2].path == "adam/a_momentum"
    assert opt.variables[3].shape == (1, 2)
    opt = optimizers.Adamax()
    opt.build([a, b])
    assert [v.name for v in opt.variables[2:]] == ["a_momentum", "a_norm", "b_momentum",
                                                   "b_norm"]


# ---- weight decay -----------------------------------------------------------------------
def test_exclude_from_weight_decay():
    kernel = Variable(np.array([1.0, 2.0]), name="kernel")
    bias = Variable(np.array([1.0, 2.0]), name="bias")
    other = Variable(np.array([1.0, 2.0]), name="other")
    opt = optimizers.SGD(learning_rate=0.5, weight_decay=0.1)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bia"])
    zero = np.zeros(2)
    opt.apply([zero, zero, zero], [kernel, bias, other])
    lr = f32(0.5)
    np.testing.assert_allclose(kernel.numpy(), np.array([1.0, 2.0]) * (1 - 0.1 * lr), rtol=1e-6)
    np.testing.assert_array_equal(bias.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(other.numpy(), [1.0, 2.0])


def test_adamw_requires_weight_decay():
    assert optimizers.AdamW().weight_decay == 0.004
    with pytest.raises(ValueError, match="weight_decay=None"):
        optimizers.AdamW(weight_decay=None)


# ---- loop behaviour -----------------------------------------------------------------------
def test_none_gradients_are_skipped_with_a_warning():
    a, b = _two_variables("float64")
    before = b.numpy().copy()
    opt = optimizers.SGD(learning_rate=0.1)
    with pytest.warns(UserWarning, match="gradients do not exist"):
        opt.apply([np.ones(3), None], [a, b])
    np.testing.assert_array_equal(b.numpy(), before)
    np.testing.assert_allclose(a.numpy(), np.array(W0) - f32(0.1))
    with pytest.raises(ValueError, match="no gradients provided"):
        opt.apply([None, None], [a, b])


def test_ember_tensor_gradients_and_no_graph():
    w = Variable(np.array(W0), name="w")
    opt = optimizers.Adam(learning_rate=0.1)
    for _ in range(3):
        loss = ((w - 3.0) ** 2).sum()
        loss.backward()
        opt.apply([w.grad], [w])
        w.grad = None
    assert w.grad is None and w.is_leaf and ember.is_grad_enabled()
    assert all(v.grad is None and v.is_leaf for v in opt.variables)


def test_apply_gradients_and_apply_without_variables():
    a, b = _two_variables("float64")
    opt = optimizers.SGD(learning_rate=0.5)
    result = opt.apply_gradients(zip([np.ones(3), np.ones((1, 2))], [a, b], strict=True))
    assert result is opt.iterations and int(result) == 1
    opt.apply([np.ones(3), np.ones((1, 2))])  # later calls may omit the variables
    np.testing.assert_allclose(a.numpy(), np.array(W0) - 2 * 0.5)
    opt.apply([np.ones(3)], [a])  # or pass a subset
    np.testing.assert_allclose(a.numpy(), np.array(W0) - 3 * 0.5)
    np.testing.assert_allclose(b.numpy(), [[2.0, 3.0]])


def test_apply_errors():
    a, b = _two_variables("float64")
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="expected `trainable_variables` on the first call"):
        opt.apply([np.ones(3)])
    opt.apply([np.ones(3)], [a])
    with pytest.raises(ValueError, match="unknown variable 'b'"):
        opt.apply([np.ones((1, 2))], [b])
    with pytest.raises(ValueError, match=r"expected a gradient of shape \(3,\).*\(2,\)"):
        opt.apply([np.ones(2)], [a])
    with pytest.raises(ValueError, match="expected one gradient per variable"):
        opt.apply([np.ones(3), np.ones(3)], [a])


def test_constructor_errors():
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="beta_2"):
        optimizers.Adam(beta_2=2.0)
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adam(betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.SGD(gradient_accumulation_steps=1)


def test_constraint_is_applied_after_the_update():
    w = Variable(np.array([0.2, 0.9]), name="w")
    w.constraint = lambda v: np.clip(v.numpy(), 0.0, 1.0)
    optimizers.SGD(learning_rate=1.0).apply([np.array([0.5, -0.5])], [w])
    np.testing.assert_allclose(w.numpy(), [0.0, 1.0])


def test_loss_scale_factor():
    opt = optimizers.SGD(learning_rate=0.5, loss_scale_factor=4.0)
    assert opt.scale_loss(2.0) == 8.0
    w = Variable(np.zeros(2), name="w")
    opt.apply([np.array([4.0, -8.0])], [w])
    np.testing.assert_allclose(w.numpy(), [-0.5, 1.0])


def test_gradient_accumulation():
    hp = {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.01}
    opt = optimizers.Adam(learning_rate=0.1, gradient_accumulation_steps=2, **hp)
    w = Variable(np.array(W0), dtype="float64", name="w")
    opt.apply([np.array(GRADS[0])], [w])
    np.testing.assert_array_equal(w.numpy(), W0)  # only accumulated
    assert int(opt.iterations) == 0
    opt.apply([np.array(GRADS[1])], [w])
    assert int(opt.iterations) == 1
    mean = (np.array(GRADS[0]) + np.array(GRADS[1])) / 2
    expected = reference(adam, f32(0.1), hp, grads=[mean])
    np.testing.assert_allclose(w.numpy(), expected[0], rtol=1e-9)
    for g in GRADS[2:] + GRADS[:1]:
        opt.apply([np.array(g)], [w])
    mean2 = (np.array(GRADS[2]) + np.array(GRADS[0])) / 2
    expected = reference(adam, f32(0.1), hp, grads=[mean, mean2])
    np.testing.assert_allclose(w.numpy(), expected[1], rtol=1e-9)


def test_exponential_moving_average():
    opt = optimizers.SGD(learning_rate=0.5, use_ema=True, ema_momentum=0.75)
    w = Variable(np.array([1.0, 2.0]), name="w")
    g = np.array([1.0, -1.0])
    opt.apply([g], [w])  # w1 = [0.5, 2.5]; the first average is w1 itself
    opt.apply([g], [w])  # w2 = [0.0, 3.0]
    average = 0.75 * np.array([0.5, 2.5]) + 0.25 * np.array([0.0, 3.0])
    np.testing.assert_allclose(w.numpy(), [0.0, 3.0])
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), average)

    opt = optimizers.SGD(learning_rate=0.5, use_ema=True, ema_momentum=0.75,
                         ema_overwrite_frequency=2)
    w = Variable(np.array([1.0, 2.0]), name="w")
    opt.apply([g], [w])
    opt.apply([g], [w])
    np.testing.assert_allclose(w.numpy(), average)


# ---- state, config, registry ---------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_restored_state_gives_bit_identical_steps(case):
    cls, kwargs, *_ = CASES[case]
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(2, 3)).astype("float32") for _ in range(6)]
    w = Variable(rng.normal(size=(2, 3)).astype("float32"), name="w")
    opt = cls(**kwargs)
    for g in grads[:3]:
        opt.apply([g], [w])
    saved = [v.numpy() for v in opt.variables]

    w2 = Variable(w.numpy(), name="w")
    fresh = cls(**kwargs)
    fresh.build([w2])
    assert len(fresh.variables) == len(saved)
    for v, value in zip(fresh.variables, saved, strict=True):
        v.assign(value)
    for g in grads[3:]:
        opt.apply([g], [w])
        fresh.apply([g], [w2])
        np.testing.assert_array_equal(w2.numpy(), w.numpy())
    for a, b in zip(opt.variables, fresh.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_round_trip(case):
    cls, kwargs, *_ = CASES[case]
    opt = cls(**kwargs, clipnorm=2.0)
    config = opt.get_config()
    json.dumps(config)
    clone = cls.from_config(config)
    assert clone.get_config() == config
    _, history = run(opt, "float32")
    _, history_clone = run(clone, "float32")
    np.testing.assert_array_equal(history[-1], history_clone[-1])


def test_config_with_schedule_and_serialize():
    schedule = schedules.CosineDecay(0.1, decay_steps=10, alpha=0.1)
    opt = optimizers.Adam(learning_rate=schedule, beta_1=0.8)
    config = optimizers.serialize(opt)
    assert config["class_name"] == "Adam"
    assert config["config"]["learning_rate"]["class_name"] == "CosineDecay"
    clone = optimizers.deserialize(json.loads(json.dumps(config)))
    assert isinstance(clone, optimizers.Adam) and clone.beta_1 == 0.8
    assert isinstance(clone._learning_rate, schedules.CosineDecay)
    assert clone._learning_rate.get_config() == schedule.get_config()
    assert clone.get_config() == opt.get_config()


@pytest.mark.parametrize("name,cls", [
    ("sgd", optimizers.SGD), ("SGD", optimizers.SGD), ("adagrad", optimizers.Adagrad),
    ("rmsprop", optimizers.RMSprop), ("RMSprop", optimizers.RMSprop),
    ("adam", optimizers.Adam), ("Adam", optimizers.Adam), ("adamw", optimizers.AdamW),
    ("AdamW", optimizers.AdamW), ("nadam", optimizers.Nadam), ("adadelta", optimizers.Adadelta),
    ("adamax", optimizers.Adamax), ("lion", optimizers.Lion), ("Lion", optimizers.Lion),
])
def test_get_by_name(name, cls):
    opt = optimizers.get(name)
    assert type(opt) is cls
    assert optimizers.get(name) is not opt  # a fresh instance each time


def test_get_other_identifiers():
    opt = optimizers.SGD(learning_rate=0.3, momentum=0.2)
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    clone = optimizers.get(optimizers.serialize(opt))
    assert isinstance(clone, optimizers.SGD) and clone.momentum == 0.2
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(3)


def test_unknown_name_lists_close_matches():
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adamm'.*Did you mean.*'adam'"):
        optimizers.get("adamm")


def test_custom_optimizer_through_custom_objects():
    class HalfStep(optimizers.Optimizer):
        def __init__(self, learning_rate=0.5, name=None, **kwargs):
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)

        def update_step(self, gradient, variable, learning_rate):
            variable.data -= 0.5 * learning_rate * gradient

    opt = HalfStep()
    assert opt.name == "half_step"
    config = optimizers.serialize(opt)
    clone = optimizers.deserialize(config, custom_objects={"HalfStep": HalfStep})
    w = Variable(np.array([1.0]), name="w")
    clone.apply([np.array([2.0])], [w])
    np.testing.assert_allclose(w.numpy(), [0.5])
    with pytest.raises(TypeError):
        optimizers.Optimizer(learning_rate=0.1)


def test_set_weights_and_own_variables_store():
    w = Variable(np.array(W0), name="w")
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="expected a built optimizer"):
        opt.set_weights([])
    opt.apply([np.array(GRADS[0])], [w])
    store = {}
    opt.save_own_variables(store)
    fresh = optimizers.Adam()
    fresh.build([Variable(np.array(W0), name="w")])
    fresh.load_own_variables(store)
    for a, b in zip(opt.variables, fresh.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    fresh.set_weights([v.numpy() * 0 for v in opt.variables])
    assert int(fresh.iterations) == 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fresh.load_own_variables({"0": np.array(1)})
    assert "Skipping variable loading" in str(caught[0].message)


# ---- end to end ---------------------------------------------------------------------------
QUADRATIC = [
    (optimizers.SGD, {"learning_rate": 0.1}),
    (optimizers.SGD, {"learning_rate": 0.02, "momentum": 0.9, "nesterov": True}),
    (optimizers.Adagrad, {"learning_rate": 1.0}),
    (optimizers.RMSprop, {"learning_rate": 0.05, "centered": True, "momentum": 0.5}),
    (optimizers.Adam, {"learning_rate": 0.2}),
    (optimizers.AdamW, {"learning_rate": 0.2, "amsgrad": True}),
    (optimizers.Nadam, {"learning_rate": 0.2}),
    (optimizers.Adadelta, {"learning_rate": 1.0, "epsilon": 1e-3}),
    (optimizers.Adamax, {"learning_rate": 0.3}),
    (optimizers.Lion, {"learning_rate": 0.05}),
]


@pytest.mark.parametrize("cls,kwargs", QUADRATIC, ids=lambda x: getattr(x, "__name__", ""))
def test_minimizes_a_quadratic(cls, kwargs):
    w = Variable(np.array([0.0, 1.0, 5.0, -2.0], dtype="float32"), name="w")
    opt = cls(**kwargs)
    for _ in range(200):
        loss = ((w - 3.0) ** 2).sum()
        loss.backward()
        opt.apply([w.grad], [w])
        w.grad = None
    final = float(((w.numpy() - 3.0) ** 2).sum())
    assert final < 0.05, f"{cls.__name__} ended at loss {final}"
    assert w.dtype == np.float32
