"""Behaviour of the merge layers: values against NumPy, broadcasting, errors, helpers."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import layers
from ember.layers import Input
from ember.layers.symbolic import KerasTensor


def _arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype("float32") for s in shapes]


def _tensors(arrays):
    return [ember.tensor(a) for a in arrays]


@pytest.mark.parametrize(("cls", "reference"), [
    (layers.Add, lambda xs: xs[0] + xs[1] + xs[2]),
    (layers.Multiply, lambda xs: xs[0] * xs[1] * xs[2]),
    (layers.Average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
    (layers.Maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2])),
    (layers.Minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2])),
])
def test_elementwise_merges_match_numpy(cls, reference):
    xs = _arrays((4, 3), (4, 3), (4, 3))
    y = cls()(_tensors(xs))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), reference(xs), rtol=1e-6)


def test_subtract_takes_exactly_two_inputs():
    a, b, c = _arrays((2, 3), (2, 3), (2, 3))
    np.testing.assert_allclose(layers.Subtract()(_tensors([a, b])).numpy(), a - b)
    with pytest.raises(ValueError, match=r"Subtract 'sub3': expected exactly 2 inputs, got 3"):
        layers.Subtract(name="sub3")(_tensors([a, b, c]))


def test_broadcasting_and_rank_alignment():
    a, b = _arrays((2, 3, 4), (2, 1, 4))
    np.testing.assert_allclose(layers.Add()(_tensors([a, b])).numpy(), a + b)
    # A lower-rank input gets new axes after the batch axis, as in Keras.
    v, m = _arrays((2, 4), (2, 3, 4))
    y = layers.Multiply()(_tensors([v, m]))
    np.testing.assert_allclose(y.numpy(), v[:, None, :] * m, rtol=1e-6)


def test_incompatible_shapes_error_names_layer_and_both_shapes():
    a, b = _arrays((2, 3), (2, 4))
    with pytest.raises(ValueError, match=r"Add 'add_bad'.*\(2, 3\) and \(2, 4\)"):
        layers.Add(name="add_bad")(_tensors([a, b]))


def test_incompatible_shapes_error_in_symbolic_call():
    with pytest.raises(ValueError, match=r"Maximum 'max_bad'.*\(None, 3\) and \(None, 5\)"):
        layers.Maximum(name="max_bad")([Input((3,)), Input((5,))])


def test_batch_size_mismatch_is_an_error():
    a, b = _arrays((2, 3), (4, 3))
    with pytest.raises(ValueError, match=r"Average 'avg_bad': expected inputs with the same "
                                         r"batch size.*\(2, 3\) and \(4, 3\)"):
        layers.Average(name="avg_bad")(_tensors([a, b]))


def test_shapes_checked_on_every_call_not_only_the_first():
    layer = layers.Add(name="add_twice")
    layer(_tensors(_arrays((2, 3), (2, 3))))
    with pytest.raises(ValueError, match=r"Add 'add_twice'.*\(2, 3\) and \(2, 5\)"):
        layer(_tensors(_arrays((2, 3), (2, 5))))


def test_merge_needs_a_list():
    with pytest.raises(ValueError, match=r"Add 'add_one': expected a list of input tensors"):
        layers.Add(name="add_one")(ember.ones(2, 3))


def test_three_input_error_lists_every_shape():
    with pytest.raises(ValueError, match=r"Add 'add3'.*\(2, 1\), \(2, 3\) and \(2, 4\)"):
        layers.Add(name="add3")(_tensors(_arrays((2, 1), (2, 3), (2, 4))))


def test_maximum_gradient_goes_to_the_winner():
    a = ember.tensor([[1.0, 5.0]], requires_grad=True)
    b = ember.tensor([[3.0, 2.0]], requires_grad=True)
    layers.Maximum()([a, b]).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[0.0, 1.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [[1.0, 0.0]])


def test_concatenate_values_and_errors():
    a, b = _arrays((2, 3, 4), (2, 1, 4))
    y = layers.Concatenate(axis=1)(_tensors([a, b]))
    np.testing.assert_array_equal(y.numpy(), np.concatenate([a, b], axis=1))
    with pytest.raises(ValueError, match=r"Concatenate 'cat_bad'.*axis -1.*\(2, 3, 4\) and "
                                         r"\(2, 1, 4\)"):
        layers.Concatenate(name="cat_bad")(_tensors([a, b]))
    with pytest.raises(ValueError, match=r"Concatenate 'cat_rank'"):
        layers.Concatenate(name="cat_rank")(_tensors(_arrays((2, 3), (2, 3, 1))))


def test_concatenate_symbolic_unknown_sizes():
    out = layers.Concatenate(axis=1)([Input((None, 4)), Input((3, 4))])
    assert out.shape == (None, None, 4)
    out = layers.Concatenate()([Input((None, 4)), Input((3, 2))])
    assert out.shape == (None, 3, 6)


def test_dot_matches_numpy():
    a, b = _arrays((3, 4), (3, 4))
    np.testing.assert_allclose(layers.Dot(axes=1)(_tensors([a, b])).numpy(),
                               np.sum(a * b, axis=1, keepdims=True), rtol=1e-5)
    x, y = _arrays((2, 3, 5), (2, 4, 3))
    np.testing.assert_allclose(layers.Dot(axes=(1, 2))(_tensors([x, y])).numpy(),
                               np.einsum("bkm,bnk->bmn", x, y), rtol=1e-5)
    p, q = _arrays((2, 3, 4), (2, 4, 5))
    np.testing.assert_allclose(layers.Dot(axes=(2, 1))(_tensors([p, q])).numpy(),
                               p @ q, rtol=1e-5)
    r, s = _arrays((2, 3, 4, 5), (2, 6, 4))
    np.testing.assert_allclose(layers.Dot(axes=(2, 2))(_tensors([r, s])).numpy(),
                               np.einsum("bikj,blk->bijl", r, s), rtol=1e-5)


def test_dot_normalize_gives_cosine_similarity():
    a, b = _arrays((5, 6), (5, 6))
    y = layers.Dot(axes=-1, normalize=True)(_tensors([a, b])).numpy()
    cos = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(y[:, 0], cos, rtol=1e-5)
    assert np.all(np.abs(y) <= 1.0 + 1e-6)


def test_dot_errors():
    a, b = _arrays((2, 3), (2, 4))
    with pytest.raises(ValueError, match=r"Dot 'dot_bad'.*3 and 4.*\(2, 3\) and \(2, 4\)"):
        layers.Dot(axes=1, name="dot_bad")(_tensors([a, b]))
    with pytest.raises(ValueError, match=r"Dot 'dot_batch'.*batch axis"):
        layers.Dot(axes=0, name="dot_batch")(_tensors([a, a]))
    with pytest.raises(ValueError, match=r"Dot 'dot_three': expected exactly 2 inputs"):
        layers.Dot(axes=1, name="dot_three")(_tensors([a, a, a]))
    with pytest.raises(TypeError, match="Dot"):
        layers.Dot(axes="last")
    with pytest.raises(ValueError, match="Dot"):
        layers.Dot(axes=(1, 2, 3))


def test_functional_helpers():
    a, b = _arrays((2, 3), (2, 3))
    ta, tb = _tensors([a, b])
    np.testing.assert_allclose(layers.add([ta, tb]).numpy(), a + b)
    np.testing.assert_allclose(layers.subtract([ta, tb]).numpy(), a - b)
    np.testing.assert_allclose(layers.multiply([ta, tb]).numpy(), a * b)
    np.testing.assert_allclose(layers.average([ta, tb]).numpy(), (a + b) / 2)
    np.testing.assert_allclose(layers.maximum([ta, tb]).numpy(), np.maximum(a, b))
    np.testing.assert_allclose(layers.minimum([ta, tb]).numpy(), np.minimum(a, b))
    np.testing.assert_allclose(layers.concatenate([ta, tb], axis=0).numpy(),
                               np.concatenate([a, b], 0))
    np.testing.assert_allclose(layers.dot([ta, tb], axes=1).numpy(),
                               np.sum(a * b, 1, keepdims=True), rtol=1e-5)
    sym = layers.dot([Input((3,)), Input((3,))], axes=1, normalize=True, name="cos")
    assert isinstance(sym, KerasTensor) and sym.shape == (None, 1)
    assert sym.node.layer.name == "cos" and sym.node.layer.normalize


def test_merges_in_a_functional_model():
    x1, x2 = Input((4,)), Input((4,))
    h = layers.concatenate([layers.add([x1, x2]), layers.multiply([x1, x2])])
    model = ember.Model([x1, x2], h)
    a, b = _arrays((3, 4), (3, 4))
    y = model([ember.tensor(a), ember.tensor(b)])
    np.testing.assert_allclose(y.numpy(), np.concatenate([a + b, a * b], axis=1), rtol=1e-6)
