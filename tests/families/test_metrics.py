"""ember.metrics: every metric against NumPy or hand computations, state accumulation over
several batches, reset, sample weights, subclassing with add_variable, the registry."""

import json
import math

import numpy as np
import pytest

import ember
from ember import metrics

RNG = np.random.default_rng(0)


def _batches(*arrays, sizes=(3, 5, 4)):
    """Split aligned arrays into consecutive batches of the given sizes."""
    edges = np.cumsum((0,) + sizes)
    return [tuple(a[lo:hi] for a in arrays) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]


def _accumulate(metric, *arrays, weights=None):
    data = arrays if weights is None else arrays + (weights,)
    for batch in _batches(*data):
        if weights is None:
            metric.update_state(*batch)
        else:
            metric.update_state(*batch[:-1], sample_weight=batch[-1])
    return float(metric.result())


# ---- Mean / Sum -------------------------------------------------------------------------


def test_mean_and_sum_by_hand():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert float(m.result()) == 4.0
    m.update_state(10.0)
    assert float(m.result()) == pytest.approx(26 / 5)
    m.reset_state()
    assert float(m.result()) == 0.0
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 2.0
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7])
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(s.result()) == 20.0
    s.reset_state()
    assert float(s.result()) == 0.0


def test_mean_of_2d_values_averages_each_sample():
    values = RNG.uniform(size=(12, 3))
    w = RNG.uniform(0.1, 2.0, 12)
    assert _accumulate(metrics.Mean(), values) == pytest.approx(values.mean(), rel=1e-6)
    expected = (values.mean(axis=1) * w).sum() / w.sum()
    assert _accumulate(metrics.Mean(), values, weights=w) == pytest.approx(expected, rel=1e-6)


def test_mean_accepts_tensors_that_require_grad():
    x = ember.tensor([1.0, 2.0, 6.0], requires_grad=True)
    m = metrics.Mean()
    out = m(x * 2)
    assert isinstance(out, ember.Tensor) and not out.requires_grad
    assert float(out) == 6.0


# ---- accuracy -----------------------------------------------------------------------------

N, C = 12, 5
LOGITS = RNG.standard_normal((N, C))
LABELS = RNG.integers(0, C, N)
ONEHOT = np.eye(C)[LABELS]
WEIGHTS = RNG.uniform(0.1, 2.0, N)


def _weighted(values, w=None):
    return values.mean() if w is None else (values * w).sum() / w.sum()


def _np_top_k(labels, scores, k):
    kth = -np.sort(-scores, axis=-1)[:, k - 1]
    return (scores[np.arange(len(labels)), labels] >= kth).astype(float)


@pytest.mark.parametrize("w", [None, WEIGHTS], ids=["unweighted", "weighted"])
def test_accuracy_family(w):
    correct = (LOGITS.argmax(-1) == LABELS).astype(float)
    cases = [
        (metrics.SparseCategoricalAccuracy(), LABELS, correct),
        (metrics.SparseCategoricalAccuracy(), LABELS[:, None].astype(np.float32), correct),
        (metrics.CategoricalAccuracy(), ONEHOT, correct),
        (metrics.Accuracy(), LABELS[:, None], (LOGITS.argmax(-1) == LABELS).astype(float)),
        (metrics.TopKCategoricalAccuracy(k=2), ONEHOT, _np_top_k(LABELS, LOGITS, 2)),
        (metrics.SparseTopKCategoricalAccuracy(k=3), LABELS, _np_top_k(LABELS, LOGITS, 3)),
    ]
    for metric, y_true, per_sample in cases:
        y_pred = LOGITS.argmax(-1)[:, None] if isinstance(metric, metrics.Accuracy) else LOGITS
        got = _accumulate(metric, y_true, y_pred, weights=w)
        assert got == pytest.approx(_weighted(per_sample, w), rel=1e-6), metric.name


@pytest.mark.parametrize("w", [None, WEIGHTS], ids=["unweighted", "weighted"])
def test_binary_accuracy(w):
    y_true = RNG.integers(0, 2, (N, 1)).astype(np.float32)
    y_pred = RNG.uniform(size=(N, 1))
    per_sample = ((y_pred[:, 0] > 0.7) == y_true[:, 0]).astype(float)
    got = _accumulate(metrics.BinaryAccuracy(threshold=0.7), y_true, y_pred, weights=w)
    assert got == pytest.approx(_weighted(per_sample, w), rel=1e-6)
    # (N,) labels against (N, 1) probabilities: one value per sample.
    np.testing.assert_array_equal(
        metrics.binary_accuracy(y_true[:, 0], y_pred, threshold=0.7).numpy(), per_sample)


def test_accuracy_functions_by_hand():
    assert metrics.binary_accuracy([[1, 0]], [[0.6, 0.7]]).tolist() == [0.5]
    assert metrics.categorical_accuracy([[0, 1], [1, 0]], [[0.3, 0.7], [0.2, 0.8]]).tolist() == [
        1.0, 0.0]
    assert metrics.sparse_categorical_accuracy([[1], [0]], [[0.3, 0.7], [0.2, 0.8]]).tolist() == [
        1.0, 0.0]
    # A tie at the k-th score counts as inside the top k.
    assert metrics.sparse_top_k_categorical_accuracy([2], [[0.5, 0.2, 0.2]], k=2).tolist() == [
        1.0]
    assert metrics.top_k_categorical_accuracy([[0, 0, 1]], [[0.5, 0.4, 0.1]], k=2).tolist() == [
        0.0]
    assert metrics.accuracy([[1], [2]], [[1], [3]]).tolist() == [1.0, 0.0]


def test_accuracy_shape_errors():
    with pytest.raises(ValueError, match="sparse_categorical_accuracy.*labels of shape"):
        metrics.sparse_categorical_accuracy(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="categorical_accuracy.*one-hot"):
        metrics.categorical_accuracy(np.zeros(4), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="BinaryAccuracy.*threshold"):
        metrics.BinaryAccuracy(threshold=1.5)


def test_metrics_accept_tensors():
    m = metrics.SparseCategoricalAccuracy()
    logits = ember.tensor(LOGITS, requires_grad=True)
    with ember.no_grad():
        m.update_state(ember.tensor(LABELS), logits)
    assert float(m.result()) == pytest.approx((LOGITS.argmax(-1) == LABELS).mean())


# ---- regression -----------------------------------------------------------------------------

Y_TRUE = RNG.uniform(0.5, 2.0, (N, 3))
Y_PRED = RNG.uniform(0.5, 2.0, (N, 3))


@pytest.mark.parametrize("w", [None, WEIGHTS], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("metric, per_sample", [
    (metrics.MeanSquaredError, ((Y_TRUE - Y_PRED) ** 2).mean(-1)),
    (metrics.MeanAbsoluteError, np.abs(Y_TRUE - Y_PRED).mean(-1)),
    (metrics.MeanAbsolutePercentageError, 100 * np.abs((Y_TRUE - Y_PRED) / Y_TRUE).mean(-1)),
    (metrics.MeanSquaredLogarithmicError,
     ((np.log1p(Y_PRED) - np.log1p(Y_TRUE)) ** 2).mean(-1)),
    (metrics.LogCoshError, np.log(np.cosh(Y_PRED - Y_TRUE)).mean(-1)),
    (metrics.CosineSimilarity, (Y_TRUE * Y_PRED).sum(-1)
     / np.linalg.norm(Y_TRUE, axis=-1) / np.linalg.norm(Y_PRED, axis=-1)),
    (metrics.Poisson, (Y_PRED - Y_TRUE * np.log(Y_PRED + 1e-7)).mean(-1)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_regression_metrics(metric, per_sample, w):
    got = _accumulate(metric(), Y_TRUE, Y_PRED, weights=w)
    assert got == pytest.approx(_weighted(per_sample, w), rel=1e-5)


@pytest.mark.parametrize("w", [None, WEIGHTS], ids=["unweighted", "weighted"])
def test_root_mean_squared_error(w):
    per_sample = ((Y_TRUE - Y_PRED) ** 2).mean(-1)
    got = _accumulate(metrics.RootMeanSquaredError(), Y_TRUE, Y_PRED, weights=w)
    assert got == pytest.approx(math.sqrt(_weighted(per_sample, w)), rel=1e-6)


def test_crossentropy_metrics():
    probs = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
    ref = -np.log(probs[np.arange(N), LABELS])
    m = metrics.SparseCategoricalCrossentropy(from_logits=True)
    assert _accumulate(m, LABELS, LOGITS) == pytest.approx(ref.mean(), rel=1e-5)
    m = metrics.CategoricalCrossentropy()
    assert _accumulate(m, ONEHOT, probs) == pytest.approx(ref.mean(), rel=1e-5)
    t = RNG.integers(0, 2, (N, 1)).astype(float)
    p = RNG.uniform(0.1, 0.9, (N, 1))
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert _accumulate(metrics.BinaryCrossentropy(), t, p) == pytest.approx(bce.mean(), rel=1e-5)


# ---- confusion metrics ------------------------------------------------------------------------

B_TRUE = RNG.integers(0, 2, 40).astype(float)
B_PRED = np.round(RNG.uniform(size=40), 3)  # three decimals: never exactly on a threshold
B_W = RNG.uniform(0.1, 2.0, 40)


def _counts(t, p, thresholds, w=None):
    w = np.ones_like(p) if w is None else w
    above = p[None, :] > np.asarray(thresholds)[:, None]
    pos = t[None, :] != 0
    return {"tp": (above & pos) @ w, "fp": (above & ~pos) @ w,
            "fn": (~above & pos) @ w, "tn": (~above & ~pos) @ w}


@pytest.mark.parametrize("w", [None, B_W], ids=["unweighted", "weighted"])
def test_precision_recall_and_counts(w):
    c = _counts(B_TRUE, B_PRED, [0.5], w)
    cases = [
        (metrics.Precision(), c["tp"] / (c["tp"] + c["fp"])),
        (metrics.Recall(), c["tp"] / (c["tp"] + c["fn"])),
        (metrics.TruePositives(), c["tp"]), (metrics.FalsePositives(), c["fp"]),
        (metrics.TrueNegatives(), c["tn"]), (metrics.FalseNegatives(), c["fn"]),
    ]
    for metric, expected in cases:
        metric.update_state(B_TRUE[:15], B_PRED[:15], None if w is None else w[:15])
        metric.update_state(B_TRUE[15:], B_PRED[15:], None if w is None else w[15:])
        assert float(metric.result()) == pytest.approx(float(expected[0]), rel=1e-5)
        metric.reset_state()
        assert float(metric.result()) == 0.0


@pytest.mark.parametrize("thresholds", [[0.2, 0.5, 0.9], [0.0, 0.25, 0.5, 0.75, 1.0]],
                         ids=["uneven", "evenly-spaced"])
def test_precision_recall_several_thresholds(thresholds):
    c = _counts(B_TRUE, B_PRED, thresholds, B_W)
    p = metrics.Precision(thresholds=thresholds)
    r = metrics.Recall(thresholds=thresholds)
    for m in (p, r):
        m.update_state(B_TRUE, B_PRED, sample_weight=B_W)
    np.testing.assert_allclose(p.result().numpy(), c["tp"] / (c["tp"] + c["fp"] + 1e-300),
                               rtol=1e-5)
    np.testing.assert_allclose(r.result().numpy(), c["tp"] / (c["tp"] + c["fn"]), rtol=1e-5)


def test_precision_recall_top_k_and_class_id():
    y_true = np.array([[0, 0, 1, 1], [1, 0, 0, 0], [0, 1, 0, 1]], dtype=float)
    y_pred = np.array([[0.1, 0.6, 0.5, 0.9], [0.7, 0.3, 0.2, 0.1], [0.4, 0.1, 0.8, 0.3]])
    # Top-2 per row: {3, 1}, {0, 1}, {2, 0} -> TP 1 + 1 + 0, FP 1 + 1 + 2.
    assert float(metrics.Precision(top_k=2)(y_true, y_pred)) == pytest.approx(2 / 6)
    # Recall: positives 5, found 2.
    assert float(metrics.Recall(top_k=2)(y_true, y_pred)) == pytest.approx(2 / 5)
    # class 3 at threshold 0.5: predictions [0.9, 0.1, 0.3], labels [1, 0, 1].
    assert float(metrics.Precision(class_id=3)(y_true, y_pred)) == 1.0
    assert float(metrics.Recall(class_id=3)(y_true, y_pred)) == 0.5
    with pytest.raises(ValueError, match="thresholds in \\[0, 1\\]"):
        metrics.Precision(thresholds=[1.5])


def test_auc_by_hand():
    y_true, y_pred = [0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9]
    # Thresholds [-eps, 0.5, 1 + eps]: TP [2, 1, 0], FP [2, 0, 0], TN [0, 2, 2], FN [0, 1, 2];
    # TPR [1, .5, 0], FPR [1, 0, 0], precision [.5, 1, 0].
    roc = {"interpolation": 0.75, "minoring": 0.5, "majoring": 1.0}
    pr = {"minoring": 0.25, "majoring": 1.0,
          # Davis-Goadrich: slopes [1/3, 1], intercepts [2/3, 0], P ratio [4, 1].
          "interpolation": (1 / 3) * (1 + (2 / 3) * math.log(4)) / 2 + 0.5}
    for curve, table in (("ROC", roc), ("PR", pr)):
        for method, expected in table.items():
            m = metrics.AUC(num_thresholds=3, curve=curve, summation_method=method)
            m.update_state(y_true, y_pred)
            assert float(m.result()) == pytest.approx(expected, rel=1e-6), (curve, method)
            np.testing.assert_array_equal(m.true_positives.numpy(), [2, 1, 0])
            np.testing.assert_array_equal(m.true_negatives.numpy(), [0, 2, 2])


def _exact_auc(t, p, w):
    """Weighted Mann-Whitney statistic: P(score of a positive > score of a negative)."""
    pos, neg = t == 1, t == 0
    diff = p[pos][:, None] - p[neg][None, :]
    pair_w = w[pos][:, None] * w[neg][None, :]
    return ((diff > 0) + 0.5 * (diff == 0)).ravel() @ pair_w.ravel() / pair_w.sum()


def test_auc_approaches_exact_roc_auc_and_accumulates():
    t = RNG.integers(0, 2, 300).astype(float)
    p = np.clip(0.3 * t + RNG.uniform(0, 0.7, 300), 0, 1)
    w = RNG.uniform(0.1, 2.0, 300)
    m = metrics.AUC(num_thresholds=2000)
    for lo, hi in ((0, 100), (100, 180), (180, 300)):
        m.update_state(t[lo:hi], p[lo:hi], sample_weight=w[lo:hi])
    assert float(m.result()) == pytest.approx(_exact_auc(t, p, w), abs=2e-3)
    m.reset_state()
    assert not m.true_positives.numpy().any() and float(m.result()) == 0.0


def test_auc_bucket_path_matches_explicit_thresholds():
    t = RNG.integers(0, 2, 200).astype(float)
    p = RNG.uniform(size=200)
    w = RNG.uniform(0.1, 2.0, 200)
    even = metrics.AUC(num_thresholds=11, curve="PR")
    # The same thresholds given explicitly, slightly perturbed so the O(N T) path runs.
    explicit = metrics.AUC(thresholds=[i / 10 + 1e-9 for i in range(1, 10)], curve="PR")
    for m in (even, explicit):
        m.update_state(t, p, sample_weight=w)
    for name in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
        np.testing.assert_allclose(getattr(even, name).numpy(), getattr(explicit, name).numpy(),
                                   rtol=1e-5)
    assert float(even.result()) == pytest.approx(float(explicit.result()), rel=1e-5)


def test_auc_from_logits_and_multi_label():
    logits = RNG.standard_normal((50, 3))
    labels = (RNG.uniform(size=(50, 3)) < 1 / (1 + np.exp(-logits))).astype(float)
    probs = 1 / (1 + np.exp(-logits))
    a = metrics.AUC(from_logits=True)
    b = metrics.AUC()
    a.update_state(labels, logits)
    b.update_state(labels, probs)
    assert float(a.result()) == pytest.approx(float(b.result()), rel=1e-6)
    multi = metrics.AUC(multi_label=True, label_weights=[1.0, 2.0, 3.0])
    multi.update_state(labels, probs)
    per_label = []
    for j in range(3):
        single = metrics.AUC()
        single.update_state(labels[:, j], probs[:, j])
        per_label.append(float(single.result()))
    assert float(multi.result()) == pytest.approx(np.dot(per_label, [1, 2, 3]) / 6, rel=1e-5)
    assert multi.true_positives.shape == (200, 3)


def test_auc_validation_and_config():
    with pytest.raises(ValueError, match="AUC.*curve"):
        metrics.AUC(curve="PRGAIN2")
    with pytest.raises(ValueError, match="AUC.*summation_method"):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    m = metrics.AUC(thresholds=[0.3, 0.1, 0.7], curve="pr", name="auc_pr")
    assert m.thresholds[1:-1] == [0.1, 0.3, 0.7] and m.num_thresholds == 5
    again = metrics.deserialize(metrics.serialize(m))
    assert again.get_config() == m.get_config() and again.curve == "PR"


# ---- the Metric contract --------------------------------------------------------------------


class BinaryTruePositives(metrics.Metric):
    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros",
                                                name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = np.logical_and(np.asarray(y_true, bool), np.asarray(y_pred, bool))
        values = values.astype(self.dtype)
        if sample_weight is not None:
            values = values * np.asarray(sample_weight, self.dtype)
        self.true_positives.assign_add(values.sum())

    def result(self):
        return self.true_positives


def test_user_subclass_with_add_variable():
    m = BinaryTruePositives()
    assert m([1, 1, 0, 1], [1, 0, 1, 1]).item() == 2.0
    m.update_state([1, 1], [1, 1], sample_weight=[0.5, 0.25])
    assert float(m.result()) == 2.75
    (v,) = m.variables
    assert v.name == "true_positives" and v.path == "binary_true_positives/true_positives"
    assert not v.trainable and not v.requires_grad
    m.reset_state()
    assert float(m.result()) == 0.0
    assert m.get_config() == {"name": "binary_true_positives", "dtype": "float32"}


def test_nested_metrics_share_variables():
    class TwoMeans(metrics.Metric):
        def __init__(self):
            super().__init__(name="two_means")
            self.a = metrics.Mean()
            self.b = metrics.Mean()

    assert len(TwoMeans().variables) == 4


def test_add_variable_before_super_init_is_explained():
    class Broken(metrics.Metric):
        def __init__(self):
            self.v = self.add_variable((), "zeros")

    with pytest.raises(RuntimeError, match="super\\(\\).__init__"):
        Broken()


def test_metric_defaults_and_dtype():
    assert metrics.Precision().name.startswith("precision")
    assert metrics.Mean(dtype="float64").result().dtype == np.float64
    assert metrics.Accuracy().dtype == "float32"


# ---- registry ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name, cls", [
    ("accuracy", metrics.Accuracy), ("acc", metrics.Accuracy),
    ("binary_accuracy", metrics.BinaryAccuracy),
    ("categorical_accuracy", metrics.CategoricalAccuracy),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
    ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
    ("mse", metrics.MeanSquaredError), ("MSE", metrics.MeanSquaredError),
    ("mean_squared_error", metrics.MeanSquaredError), ("mae", metrics.MeanAbsoluteError),
    ("root_mean_squared_error", metrics.RootMeanSquaredError),
    ("precision", metrics.Precision), ("recall", metrics.Recall), ("auc", metrics.AUC),
    ("AUC", metrics.AUC), ("kl_divergence", metrics.KLDivergence),
])
def test_get_by_name(name, cls):
    assert type(metrics.get(name)) is cls


def test_get_objects_and_unknown_names():
    m = metrics.Mean()
    assert metrics.get(m) is m and metrics.get(None) is None
    with pytest.raises(ValueError, match="Unknown metric.*'accuracy'"):
        metrics.get("acuracy")


ALL = [
    metrics.Mean(name="m"), metrics.Sum(), metrics.Accuracy(), metrics.BinaryAccuracy(0.3),
    metrics.CategoricalAccuracy(), metrics.SparseCategoricalAccuracy(),
    metrics.TopKCategoricalAccuracy(k=3), metrics.SparseTopKCategoricalAccuracy(k=2),
    metrics.MeanSquaredError(), metrics.MeanAbsoluteError(), metrics.RootMeanSquaredError(),
    metrics.Precision(thresholds=[0.3, 0.6], class_id=1), metrics.Recall(top_k=2),
    metrics.AUC(num_thresholds=50, curve="PR", summation_method="minoring"),
    metrics.TruePositives(thresholds=0.2), metrics.BinaryCrossentropy(from_logits=True),
    metrics.CosineSimilarity(axis=1),
]


@pytest.mark.parametrize("metric", ALL, ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    config = json.loads(json.dumps(metrics.serialize(metric)))  # JSON-safe
    assert "fn" not in config["config"]
    again = metrics.deserialize(config)
    assert type(again) is type(metric) and again.get_config() == metric.get_config()


def test_mean_metric_wrapper_round_trip():
    m = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="acc_at_0.3", threshold=0.3)
    m.update_state([[1], [0]], [[0.4], [0.2]])
    assert float(m.result()) == 1.0
    again = metrics.deserialize(metrics.serialize(m))
    assert again._fn is metrics.binary_accuracy and again.get_config() == m.get_config()
    wrapped_loss = metrics.MeanMetricWrapper(ember.losses.mean_squared_error, name="mse_fn")
    again = metrics.deserialize(metrics.serialize(wrapped_loss))
    assert again._fn is ember.losses.mean_squared_error
