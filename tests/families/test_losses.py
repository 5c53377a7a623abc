"""ember.losses: every loss against a NumPy formula, with each reduction and sample weights,
float64 gradient checks, Keras's shape rules, the fused cross-entropy path, the registry."""

import json
import math

import numpy as np
import pytest

import ember
from ember import losses

EPS = 1e-7
RNG = np.random.default_rng(0)
N, C = 5, 4


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_hinge_labels(t):
    return 2 * t - 1 if np.isin(t, (0, 1)).all() else t


def _np_huber(t, p, delta):
    d = np.abs(p - t)
    return np.where(d <= delta, 0.5 * d**2, delta * d - 0.5 * delta**2).mean(-1)


def _np_cce(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


def _np_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def _np_bce_logits(t, x):
    return (np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))).mean(-1)


def _np_cosine(t, p):
    t = t / np.linalg.norm(t, axis=-1, keepdims=True)
    p = p / np.linalg.norm(p, axis=-1, keepdims=True)
    return -(t * p).sum(-1)


# Inputs per kind, kept away from kinks (|d| = delta, 1 - t p = 0, d = 0) for gradcheck.
_T_REAL = RNG.standard_normal((N, C))
_P_REAL = _T_REAL + RNG.choice([-1.0, 1.0], (N, C)) * RNG.uniform(0.2, 2.0, (N, C))
_T_POS = RNG.uniform(0.1, 3.0, (N, C))
_P_POS = RNG.uniform(0.1, 3.0, (N, C))
_T_PROB = _softmax(RNG.standard_normal((N, C)))
_P_PROB = _softmax(RNG.standard_normal((N, C)))
_T_ONEHOT = np.eye(C)[RNG.integers(0, C, N)]
_T_BIN = RNG.integers(0, 2, (N, C)).astype(np.float64)
_P_UNIT = RNG.uniform(0.05, 0.95, (N, C))
_LOGITS = RNG.standard_normal((N, C)) * 2
_P_HINGE = RNG.choice([-1.0, 1.0], (N, C)) * RNG.choice([0.3, 0.6, 1.5, 2.5], (N, C))

# (loss object, y_true, y_pred, per-sample NumPy reference)
CASES = {
    "mse": (losses.MeanSquaredError(), _T_REAL, _P_REAL, lambda t, p: ((t - p) ** 2).mean(-1)),
    "mae": (losses.MeanAbsoluteError(), _T_REAL, _P_REAL, lambda t, p: np.abs(t - p).mean(-1)),
    "mape": (losses.MeanAbsolutePercentageError(), _T_POS, _P_REAL,
             lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1)),
    "msle": (losses.MeanSquaredLogarithmicError(), _T_POS, _P_POS,
             lambda t, p: ((np.log(p + 1) - np.log(t + 1)) ** 2).mean(-1)),
    "huber": (losses.Huber(delta=0.8), _T_REAL, _P_REAL, lambda t, p: _np_huber(t, p, 0.8)),
    "smooth_l1": (losses.SmoothL1(beta=0.8), _T_REAL, _P_REAL,
                  lambda t, p: _np_huber(t, p, 0.8) / 0.8),
    "log_cosh": (losses.LogCosh(), _T_REAL, _P_REAL,
                 lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    "kld": (losses.KLDivergence(), _T_PROB, _P_PROB,
            lambda t, p: (t * np.log(t / p)).sum(-1)),
    "poisson": (losses.Poisson(), _T_POS, _P_POS,
                lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    "hinge": (losses.Hinge(), _T_BIN, _P_HINGE,
              lambda t, p: np.maximum(1 - _np_hinge_labels(t) * p, 0).mean(-1)),
    "squared_hinge": (losses.SquaredHinge(), _T_BIN, _P_HINGE,
                      lambda t, p: (np.maximum(1 - _np_hinge_labels(t) * p, 0) ** 2).mean(-1)),
    "categorical_hinge": (losses.CategoricalHinge(), _T_ONEHOT, _P_HINGE, lambda t, p: np.maximum(
        ((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
    "cosine": (losses.CosineSimilarity(), _T_REAL, _P_REAL, _np_cosine),
    "cce": (losses.CategoricalCrossentropy(), _T_PROB, _P_PROB, _np_cce),
    "cce_logits": (losses.CategoricalCrossentropy(from_logits=True), _T_ONEHOT, _LOGITS,
                   lambda t, x: -(t * np.log(_softmax(x))).sum(-1)),
    "cce_smoothing": (losses.CategoricalCrossentropy(label_smoothing=0.2), _T_ONEHOT, _P_PROB,
                      lambda t, p: _np_cce(t * 0.8 + 0.2 / C, p)),
    "bce": (losses.BinaryCrossentropy(), _T_BIN, _P_UNIT, _np_bce),
    "bce_logits": (losses.BinaryCrossentropy(from_logits=True), _T_BIN, _LOGITS, _np_bce_logits),
    "bce_smoothing": (losses.BinaryCrossentropy(label_smoothing=0.1), _T_BIN, _P_UNIT,
                      lambda t, p: _np_bce(t * 0.9 + 0.05, p)),
}


def _reduce(values, weights, reduction):
    weighted = values * weights if weights is not None else values
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean_with_sample_weight" and weights is not None:
        return weighted.sum() / np.sum(weights)
    return weighted.sum() / values.size


@pytest.mark.parametrize("case", sorted(CASES))
def test_per_sample_values(case):
    loss, t, p, ref = CASES[case]
    out = loss.call(t, ember.tensor(p))
    np.testing.assert_allclose(out.numpy(), ref(t, p), rtol=1e-10)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "mean", "sum", "none",
                                       "mean_with_sample_weight"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_reductions_and_sample_weights(case, reduction):
    loss, t, p, ref = CASES[case]
    loss = type(loss).from_config({**loss.get_config(), "reduction": reduction})
    values = ref(t, p)
    w = RNG.uniform(0.1, 2.0, N)
    np.testing.assert_allclose(loss(t, ember.tensor(p)).numpy(), _reduce(values, None, reduction),
                               rtol=1e-10)
    for weight in (w, w[:, None]):
        # With "none", (N, 1) weights give (N, 1) values: Keras expands a rank-1 partner.
        out = loss(t, ember.tensor(p), sample_weight=weight).numpy()
        assert out.shape == (() if reduction != "none" else weight.shape)
        np.testing.assert_allclose(out.reshape(-1), np.reshape(_reduce(values, w, reduction), -1),
                                   rtol=1e-10)
    np.testing.assert_allclose(loss(t, ember.tensor(p), sample_weight=0.5).numpy(),
                               _reduce(values, 0.5, reduction), rtol=1e-10)


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradcheck(case):
    loss, t, p, _ = CASES[case]
    y_pred = ember.tensor(p, dtype="float64", requires_grad=True)
    w = RNG.uniform(0.1, 2.0, N)
    assert ember.gradcheck(lambda y: loss(t, y), [y_pred])
    assert ember.gradcheck(lambda y: loss(t, y, sample_weight=w), [y_pred])


@pytest.mark.parametrize("case", sorted(CASES))
def test_float32_stays_float32(case):
    loss, t, p, _ = CASES[case]
    y_pred = ember.tensor(p.astype(np.float32), requires_grad=True)
    out = loss(t, y_pred)  # y_true float64 NumPy: cast to y_pred's dtype
    assert out.dtype == np.float32
    out.backward()
    assert y_pred.grad.dtype == np.float32


def test_dtype_argument_casts_inputs():
    loss = losses.MeanSquaredError(dtype="float32")
    assert loss.dtype == "float32"
    assert loss(_T_REAL, ember.tensor(_P_REAL)).dtype == np.float32
    assert losses.MeanSquaredError().dtype == ember.backend.floatx()


SPARSE_LABELS = RNG.integers(0, C, N)


@pytest.mark.parametrize("labels", [SPARSE_LABELS, SPARSE_LABELS[:, None],
                                    SPARSE_LABELS.astype(np.float32),
                                    ember.tensor(SPARSE_LABELS)],
                         ids=["int", "column", "float", "tensor"])
@pytest.mark.parametrize("from_logits", [True, False])
def test_sparse_categorical_crossentropy(labels, from_logits):
    pred = _LOGITS if from_logits else _P_PROB
    probs = _softmax(pred) if from_logits else pred / pred.sum(-1, keepdims=True)
    ref = -np.log(np.clip(probs, EPS, 1 - EPS)[np.arange(N), SPARSE_LABELS])
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    np.testing.assert_allclose(float(loss(labels, ember.tensor(pred))), ref.mean(), rtol=1e-10)
    w = RNG.uniform(0.1, 2.0, N)
    np.testing.assert_allclose(float(loss(labels, ember.tensor(pred), sample_weight=w)),
                               (ref * w).sum() / N, rtol=1e-10)
    y = ember.tensor(pred, requires_grad=True)
    assert ember.gradcheck(lambda v: loss(labels, v), [y])
    assert ember.gradcheck(lambda v: loss(labels, v, sample_weight=w), [y])


def test_sparse_ignore_class_averages_over_kept_entries():
    labels = np.array([0, 2, -1, 1, -1])
    keep = labels != -1
    logp = np.log(_softmax(_LOGITS))
    per_sample = np.where(keep, -logp[np.arange(N), np.where(keep, labels, 0)], 0.0)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    out = loss(labels, ember.tensor(_LOGITS))
    assert float(out) == pytest.approx(per_sample[keep].mean(), rel=1e-10)
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(labels, ember.tensor(_LOGITS), from_logits=True,
                                               ignore_class=-1).numpy(), per_sample)
    w = RNG.uniform(0.1, 2.0, N)
    assert float(loss(labels, ember.tensor(_LOGITS), sample_weight=w)) == pytest.approx(
        (per_sample * w).sum() / keep.sum(), rel=1e-10)
    sum_loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                                    reduction="sum")
    assert float(sum_loss(labels, ember.tensor(_LOGITS))) == pytest.approx(per_sample.sum())
    y = ember.tensor(_LOGITS, requires_grad=True)
    loss(labels, y).backward()
    assert not y.grad.numpy()[~keep].any()
    assert ember.gradcheck(lambda v: loss(labels, v), [ember.tensor(_LOGITS, requires_grad=True)])


@pytest.mark.parametrize("loss, fused", [
    (losses.SparseCategoricalCrossentropy(from_logits=True), "SparseSoftmaxCrossEntropy"),
    (losses.CategoricalCrossentropy(from_logits=True), "SoftmaxCrossEntropy"),
    (losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy, from_logits=True),
     "SparseSoftmaxCrossEntropy"),
    (losses.LossFunctionWrapper(losses.categorical_crossentropy, from_logits=True),
     "SoftmaxCrossEntropy"),
], ids=["sparse", "categorical", "wrapped-sparse", "wrapped-categorical"])
def test_fused_path_reduces_in_one_node(loss, fused):
    y_true = SPARSE_LABELS if "Sparse" in fused else _T_ONEHOT
    y_pred = ember.tensor(_LOGITS, requires_grad=True)
    out = loss(y_true, y_pred)
    assert out.grad_fn.fn.__name__ == fused
    assert float(out) == pytest.approx(float(loss(y_true, _LOGITS, sample_weight=1.0)))


def test_fused_sum_reduction():
    for loss, t in ((losses.CategoricalCrossentropy(from_logits=True, reduction="sum"),
                     _T_ONEHOT),
                    (losses.BinaryCrossentropy(from_logits=True, reduction="sum"), _T_BIN)):
        per_sample = loss.call(t, ember.tensor(_LOGITS)).numpy()
        assert float(loss(t, ember.tensor(_LOGITS))) == pytest.approx(per_sample.sum())


def test_rank_rules():
    # (N,) labels against (N, 1) predictions gain the axis (one value per sample).
    t, p = np.array([0.0, 1.0, 2.0]), np.array([[1.0], [1.0], [1.0]])
    np.testing.assert_allclose(losses.mean_squared_error(t, p).numpy(), [1.0, 0.0, 1.0])
    assert float(losses.MeanSquaredError()(t, p)) == pytest.approx(2 / 3)
    # 1-D binary cross-entropy means over the last (only) axis, as Keras.
    bce = losses.binary_crossentropy([1.0, 0.0], ember.tensor([0.8, 0.4]))
    assert bce.shape == () and float(bce) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)
    bce2 = losses.BinaryCrossentropy()(np.array([1.0, 0.0]), ember.tensor([[0.8], [0.4]]))
    assert float(bce2) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)


def test_weights_broadcast_over_timesteps():
    values = RNG.uniform(0.1, 1.0, (N, 3))
    w = RNG.uniform(0.1, 2.0, N)
    out = losses.reduce_weighted_values(ember.tensor(values), w)
    assert float(out) == pytest.approx((values * w[:, None]).sum() / values.size)
    logits = RNG.standard_normal((N, 3, C))
    labels = RNG.integers(0, C, (N, 3))
    ref = -np.log(_softmax(logits))[np.arange(N)[:, None], np.arange(3), labels]
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    assert float(loss(labels, ember.tensor(logits), sample_weight=w)) == pytest.approx(
        (ref * w[:, None]).sum() / ref.size)


def test_hinge_keeps_signed_labels():
    t = np.array([[-1.0, 1.0]])
    p = np.array([[0.5, 0.2]])
    assert float(losses.hinge(t, p)[0]) == pytest.approx((1.5 + 0.8) / 2)


def test_functions_by_hand():
    assert float(losses.huber([[0.0, 0.0]], [[0.5, 3.0]])[0]) == pytest.approx(
        (0.125 + 2.5) / 2)
    assert float(losses.log_cosh([[0.0]], [[100.0]])[0]) == pytest.approx(100 - math.log(2))
    assert float(losses.cosine_similarity([[1.0, 0.0]], [[0.0, 3.0]])[0]) == 0.0


def test_loss_base_contract():
    loss = losses.MeanSquaredError()
    assert loss.name == "mean_squared_error" and loss.reduction == "sum_over_batch_size"
    assert losses.Huber().name == "huber_loss"
    with pytest.raises(ValueError, match="MeanSquaredError.*reduction"):
        losses.MeanSquaredError(reduction="average")

    class MeanCubed(losses.Loss):
        def call(self, y_true, y_pred):
            return ember.ops.mean((y_pred - y_true) ** 3, axis=-1)

    custom = MeanCubed()
    assert custom.name.startswith("mean_cubed")
    p = ember.tensor(_P_REAL, requires_grad=True)
    assert float(custom(_T_REAL, p)) == pytest.approx(((_P_REAL - _T_REAL) ** 3).mean())
    assert ember.gradcheck(lambda y: custom(ember.tensor(_T_REAL), y), [p])
    with pytest.raises(TypeError, match="Loss.call must be overridden"):
        losses.Loss()(_T_REAL, p)


def test_loss_function_wrapper_round_trip():
    wrapper = losses.LossFunctionWrapper(losses.huber, name="my_huber", delta=0.5)
    np.testing.assert_allclose(float(wrapper(_T_REAL, _P_REAL)),
                               _np_huber(_T_REAL, _P_REAL, 0.5).mean(), rtol=1e-6)
    config = losses.serialize(wrapper)
    assert config["config"]["fn"] == "huber" and config["config"]["delta"] == 0.5
    again = losses.deserialize(config)
    assert again.fn is losses.huber and again.name == "my_huber"
    assert float(again(_T_REAL, _P_REAL)) == pytest.approx(float(wrapper(_T_REAL, _P_REAL)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_round_trip(case):
    loss = CASES[case][0]
    config = json.loads(json.dumps(losses.serialize(loss)))  # JSON-safe
    assert "fn" not in config["config"]
    again = losses.deserialize(config)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()


def test_get():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MSE") is losses.mean_squared_error
    assert losses.get("mae") is losses.mean_absolute_error
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert losses.get("smooth_l1") is losses.smooth_l1
    assert type(losses.get("CategoricalCrossentropy")) is losses.CategoricalCrossentropy
    assert type(losses.get({"class_name": "Huber", "config": {"delta": 2.0}})) is losses.Huber
    loss = losses.Poisson()
    assert losses.get(loss) is loss and losses.get(None) is None
    with pytest.raises(ValueError, match="Unknown loss.*'categorical_crossentropy'"):
        losses.get("categorical_crossentropyy")
