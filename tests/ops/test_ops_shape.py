"""Shape and indexing ops: views, joins and splits, padding, repetition, flips, indexing of
every kind (basic, advanced with repeated indices, boolean masks), take and take_along_axis."""

import numpy as np
import pytest
from op_harness import Case, check_float32, check_forward, check_gradcheck, normal, params

import ember
from ember import ops

x234 = normal(2, 3, 4)

VIEWS = [
    Case("reshape", lambda x: ops.reshape(x, (3, -1)), lambda x: x.reshape(3, -1), [x234]),
    Case("reshape-int", lambda x: ops.reshape(x, 24), lambda x: x.reshape(24), [x234]),
    Case("reshape-0d", lambda x: ops.reshape(x, (1, 1)), lambda x: x.reshape(1, 1), [normal()]),
    Case("reshape-to-0d", lambda x: ops.reshape(x, ()), lambda x: x.reshape(()), [normal(1)]),
    Case("method-reshape-args", lambda x: x.reshape(4, 6), lambda x: x.reshape(4, 6), [x234]),
    Case("method-view", lambda x: x.view((6, 4)), lambda x: x.reshape(6, 4), [x234]),
    Case("flatten", ops.flatten, lambda x: x.reshape(-1), [x234]),
    Case("flatten-start1", lambda x: ops.flatten(x, 1), lambda x: x.reshape(2, 12), [x234]),
    Case("flatten-0-1", lambda x: ops.flatten(x, 0, 1), lambda x: x.reshape(6, 4), [x234]),
    Case("flatten-0d", ops.flatten, lambda x: x.reshape(1), [normal()]),
    Case("ravel", ops.ravel, np.ravel, [x234]),
    Case("method-ravel", lambda x: x.ravel(), np.ravel, [normal(3, 1)]),
    Case("transpose", ops.transpose, np.transpose, [x234]),
    Case("transpose-axes", lambda x: ops.transpose(x, (1, 0, 2)),
         lambda x: np.transpose(x, (1, 0, 2)), [x234]),
    Case("transpose-negative-axes", lambda x: ops.transpose(x, (-1, 0, 1)),
         lambda x: np.transpose(x, (2, 0, 1)), [x234]),
    Case("T-2d", lambda x: x.T, lambda x: x.T, [normal(2, 3)]),
    Case("T-3d", lambda x: x.T, lambda x: x.T, [x234]),
    Case("T-0d", lambda x: x.T, lambda x: x.T, [normal()]),
    Case("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), [x234]),
    Case("permute-tuple", lambda x: x.permute((1, 2, 0)), lambda x: x.transpose(1, 2, 0),
         [x234]),
    Case("method-transpose", lambda x: x.transpose(1, 0), lambda x: x.T, [normal(3, 2)]),
    Case("swapaxes", lambda x: ops.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2), [x234]),
    Case("swapaxes-negative", lambda x: x.swapaxes(-1, 1), lambda x: np.swapaxes(x, -1, 1),
         [x234]),
    Case("moveaxis", lambda x: ops.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1), [x234]),
    Case("moveaxis-multi", lambda x: ops.moveaxis(x, [0, 1], [2, 0]),
         lambda x: np.moveaxis(x, [0, 1], [2, 0]), [x234]),
    Case("squeeze-all", ops.squeeze, np.squeeze, [normal(1, 3, 1, 2)]),
    Case("squeeze-axis", lambda x: ops.squeeze(x, 2), lambda x: np.squeeze(x, 2),
         [normal(1, 3, 1, 2)]),
    Case("squeeze-tuple", lambda x: ops.squeeze(x, (0, -2)), lambda x: np.squeeze(x, (0, 2)),
         [normal(1, 3, 1, 2)]),
    Case("squeeze-to-0d", ops.squeeze, np.squeeze, [normal(1, 1)]),
    Case("expand_dims", lambda x: ops.expand_dims(x, 0), lambda x: np.expand_dims(x, 0),
         [normal(2, 3)]),
    Case("expand_dims-negative", lambda x: ops.expand_dims(x, -1),
         lambda x: np.expand_dims(x, -1), [normal(2, 3)]),
    Case("expand_dims-tuple", lambda x: ops.expand_dims(x, (0, 2)),
         lambda x: np.expand_dims(x, (0, 2)), [normal(2, 3)]),
    Case("expand_dims-0d", lambda x: ops.expand_dims(x, 0), lambda x: np.expand_dims(x, 0),
         [normal()]),
    Case("unsqueeze", lambda x: x.unsqueeze(1), lambda x: np.expand_dims(x, 1), [normal(2, 3)]),
    Case("broadcast_to", lambda x: ops.broadcast_to(x, (2, 3)),
         lambda x: np.broadcast_to(x, (2, 3)), [normal(3)]),
    Case("broadcast_to-size1", lambda x: ops.broadcast_to(x, (3, 2, 4)),
         lambda x: np.broadcast_to(x, (3, 2, 4)), [normal(2, 1)]),
    Case("broadcast_to-0d", lambda x: x.broadcast_to((2, 2)),
         lambda x: np.broadcast_to(x, (2, 2)), [normal()]),
]

JOINS = [
    Case("concatenate-0", lambda a, b: ops.concatenate([a, b]),
         lambda a, b: np.concatenate([a, b]), [normal(2, 3), normal(1, 3)]),
    Case("concatenate-neg1", lambda a, b: ops.concatenate([a, b], axis=-1),
         lambda a, b: np.concatenate([a, b], axis=-1), [normal(2, 3), normal(2, 1)]),
    Case("concatenate-three", lambda a, b, c: ops.concatenate((a, b, c), axis=1),
         lambda a, b, c: np.concatenate((a, b, c), axis=1),
         [normal(2, 1, 2), normal(2, 3, 2), normal(2, 2, 2)]),
    Case("concatenate-same-twice", lambda a: ops.concatenate([a, a * 2.0]),
         lambda a: np.concatenate([a, a * 2.0]), [normal(2)]),
    Case("stack-0", lambda a, b: ops.stack([a, b]), lambda a, b: np.stack([a, b]),
         [normal(2, 3), normal(2, 3)]),
    Case("stack-1", lambda a, b: ops.stack([a, b], axis=1), lambda a, b: np.stack([a, b], 1),
         [normal(2, 3), normal(2, 3)]),
    Case("stack-neg1", lambda a, b, c: ops.stack([a, b, c], axis=-1),
         lambda a, b, c: np.stack([a, b, c], axis=-1), [normal(2, 3), normal(2, 3), normal(2, 3)]),
    Case("stack-0d", lambda a, b: ops.stack([a, b]), lambda a, b: np.stack([a, b]),
         [normal(), normal()]),
    Case("split-sections", lambda x: ops.split(x, 2, axis=2), lambda x: np.split(x, 2, axis=2),
         [x234]),
    Case("split-indices", lambda x: ops.split(x, [1, 3], axis=-1),
         lambda x: np.split(x, [1, 3], axis=-1), [x234]),
    Case("split-axis0", lambda x: ops.split(x, 3), lambda x: np.split(x, 3), [normal(6, 2)]),
    Case("split-use-one-part", lambda x: ops.split(x, 2)[1], lambda x: np.split(x, 2)[1],
         [normal(4, 2)]),
    Case("unstack", ops.unstack, lambda x: list(x), [normal(3, 2)]),
    Case("unstack-axis1", lambda x: ops.unstack(x, axis=1),
         lambda x: [x[:, i] for i in range(x.shape[1])], [x234]),
    Case("unstack-1d", ops.unstack, lambda x: list(x), [normal(3)]),
]

REPEATS = [
    Case("pad-int", lambda x: ops.pad(x, 1), lambda x: np.pad(x, 1), [normal(2, 3)]),
    Case("pad-per-axis", lambda x: ops.pad(x, ((1, 0), (0, 2))),
         lambda x: np.pad(x, ((1, 0), (0, 2))), [normal(2, 3)]),
    Case("pad-constant", lambda x: ops.pad(x, ((0, 1), (2, 0), (1, 1)), constant_values=2.5),
         lambda x: np.pad(x, ((0, 1), (2, 0), (1, 1)), constant_values=2.5), [x234]),
    Case("pad-pair", lambda x: ops.pad(x, (2, 1)), lambda x: np.pad(x, (2, 1)), [normal(3)]),
    Case("repeat-flat", lambda x: ops.repeat(x, 2), lambda x: np.repeat(x, 2), [normal(2, 3)]),
    Case("repeat-axis", lambda x: ops.repeat(x, 3, axis=1), lambda x: np.repeat(x, 3, axis=1),
         [normal(2, 2)]),
    Case("repeat-array", lambda x: ops.repeat(x, [1, 0, 2], axis=0),
         lambda x: np.repeat(x, [1, 0, 2], axis=0), [normal(3, 2)]),
    Case("repeat-array-flat", lambda x: x.repeat(np.array([2, 1, 3, 1])),
         lambda x: np.repeat(x, [2, 1, 3, 1]), [normal(2, 2)]),
    Case("repeat-negative-axis", lambda x: ops.repeat(x, 2, axis=-1),
         lambda x: np.repeat(x, 2, axis=-1), [x234]),
    Case("tile-int", lambda x: ops.tile(x, 2), lambda x: np.tile(x, 2), [normal(2, 3)]),
    Case("tile-tuple", lambda x: ops.tile(x, (2, 1)), lambda x: np.tile(x, (2, 1)),
         [normal(2, 3)]),
    Case("tile-longer", lambda x: ops.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)),
         [normal(2, 3)]),
    Case("tile-shorter", lambda x: ops.tile(x, (3,)), lambda x: np.tile(x, (3,)), [x234]),
    Case("tile-0d", lambda x: ops.tile(x, (2, 2)), lambda x: np.tile(x, (2, 2)), [normal()]),
    Case("flip-all", ops.flip, np.flip, [x234]),
    Case("flip-0", lambda x: ops.flip(x, 0), lambda x: np.flip(x, 0), [x234]),
    Case("flip-tuple", lambda x: ops.flip(x, (0, -1)), lambda x: np.flip(x, (0, -1)), [x234]),
    Case("method-flip", lambda x: x.flip(1), lambda x: np.flip(x, 1), [normal(2, 3)]),
]

MASK = np.array([[True, False, True], [False, False, True]])
INDEXING = [
    Case("index-int", lambda x: x[1], lambda x: x[1], [x234]),
    Case("index-negative-int", lambda x: x[-1, 2], lambda x: x[-1, 2], [x234]),
    Case("index-to-0d", lambda x: x[0, 1, 2], lambda x: x[0, 1, 2], [x234]),
    Case("index-1d-to-0d", lambda x: x[3], lambda x: x[3], [normal(5)]),
    Case("slice", lambda x: x[1:3], lambda x: x[1:3], [normal(4, 2)]),
    Case("slice-step", lambda x: x[:, ::2], lambda x: x[:, ::2], [x234]),
    Case("slice-negative-step", lambda x: x[::-1], lambda x: x[::-1], [x234]),
    Case("slice-negative-step-2", lambda x: x[:, ::-2, 1:], lambda x: x[:, ::-2, 1:], [x234]),
    Case("index-none", lambda x: x[None, :, 1], lambda x: x[None, :, 1], [x234]),
    Case("index-ellipsis", lambda x: x[..., 0], lambda x: x[..., 0], [x234]),
    Case("index-ellipsis-none", lambda x: x[1, ..., None], lambda x: x[1, ..., None], [x234]),
    Case("index-int-array-repeats", lambda x: x[[0, 2, 0, 0]], lambda x: x[[0, 2, 0, 0]],
         [normal(3, 2)]),
    Case("index-2d-int-array", lambda x: x[np.array([[0, 1], [1, 1]])],
         lambda x: x[np.array([[0, 1], [1, 1]])], [normal(3, 2)]),
    Case("index-pairs-repeats", lambda x: x[[0, 1, 0], [2, 2, 2]],
         lambda x: x[[0, 1, 0], [2, 2, 2]], [normal(2, 3)]),
    Case("index-slice-and-array", lambda x: x[:, [1, 1, 0]], lambda x: x[:, [1, 1, 0]],
         [x234]),
    Case("index-negative-array", lambda x: x[np.array([-1, -1, 0])],
         lambda x: x[np.array([-1, -1, 0])], [normal(3)]),
    Case("index-tensor-indices", lambda x: x[ember.tensor(np.array([2, 2, 1]))],
         lambda x: x[np.array([2, 2, 1])], [normal(3, 2)]),
    Case("index-bool-mask", lambda x: x[MASK], lambda x: x[MASK], [normal(2, 3)]),
    Case("index-bool-rows", lambda x: x[np.array([True, False, True])],
         lambda x: x[np.array([True, False, True])], [normal(3, 2)]),
    Case("index-bool-tensor", lambda x: x[x > 0], lambda x: x[x > 0], [normal(3, 3)]),
    Case("getitem-op", lambda x: ops.getitem(x, (slice(None), 1)), lambda x: x[:, 1],
         [normal(2, 3)]),
    Case("take-flat", lambda x: ops.take(x, [4, 0, 4, 4]), lambda x: np.take(x, [4, 0, 4, 4]),
         [normal(2, 3)]),
    Case("take-axis", lambda x: ops.take(x, [2, 0, 2], axis=1),
         lambda x: np.take(x, [2, 0, 2], axis=1), [x234]),
    Case("take-negative-axis", lambda x: ops.take(x, np.array([[1, 1], [0, 3]]), axis=-1),
         lambda x: np.take(x, np.array([[1, 1], [0, 3]]), axis=-1), [x234]),
    Case("take-negative-indices", lambda x: x.take([-1, -2, -1]),
         lambda x: np.take(x, [-1, -2, -1]), [normal(4)]),
    Case("take-scalar-index", lambda x: ops.take(x, 1, axis=0), lambda x: np.take(x, 1, 0),
         [normal(3, 2)]),
    Case("take_along_axis", lambda x: ops.take_along_axis(x, np.array([[2, 0], [1, 1]]), 1),
         lambda x: np.take_along_axis(x, np.array([[2, 0], [1, 1]]), 1), [normal(2, 3)]),
    Case("take_along_axis-0", lambda x: ops.take_along_axis(x, np.array([[1, 0, 1]]), 0),
         lambda x: np.take_along_axis(x, np.array([[1, 0, 1]]), 0), [normal(2, 3)]),
    Case("take_along_axis-argsort", lambda x: ops.take_along_axis(x, np.argsort(x.numpy()), -1),
         lambda x: np.sort(x, axis=-1), [x234]),
    Case("take_along_axis-none", lambda x: ops.take_along_axis(x, np.array([5, 0, 5]), None),
         lambda x: np.take_along_axis(x, np.array([5, 0, 5]), None), [normal(2, 3)]),
    Case("take_along_axis-broadcast",
         lambda x: ops.take_along_axis(x, np.array([[0], [2], [2]]), 1),
         lambda x: np.take_along_axis(x, np.array([[0], [2], [2]]), 1), [normal(1, 3)]),
]

CASES = VIEWS + JOINS + REPEATS + INDEXING


@pytest.mark.parametrize("case", params(CASES))
def test_forward_matches_numpy(case):
    check_forward(case)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck_float64(case):
    check_gradcheck(case)


@pytest.mark.parametrize("case", params(CASES))
def test_float32_in_float32_out(case):
    check_float32(case)


# ---- scatter-add semantics and views -----------------------------------------------------


def test_repeated_integer_indices_scatter_add():
    x = ember.tensor(np.zeros(4), requires_grad=True)
    x[[1, 1, 3, 1]].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 7.0, 0.0, 3.0])


def test_take_repeated_indices_scatter_add():
    x = ember.tensor(np.zeros((2, 3)), requires_grad=True)
    ops.take(x, [0, 0, 2], axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0.0, 1.0], [2.0, 0.0, 1.0]])


def test_boolean_mask_gradient_lands_on_selected_elements():
    x = ember.tensor(np.zeros((2, 3)), requires_grad=True)
    x[MASK].backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])


def test_iteration_and_len_follow_first_axis():
    data = np.arange(6.0).reshape(3, 2)
    x = ember.tensor(data, requires_grad=True)
    rows = list(x)
    assert len(x) == 3 and len(rows) == 3
    ops.stack(rows).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((3, 2)))


def test_setitem_under_no_grad_writes_data():
    x = ember.tensor(np.zeros((2, 2)), requires_grad=True)
    with ember.no_grad():
        x[0, 1] = 5.0
        x[1] = ember.tensor(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.numpy(), [[0.0, 5.0], [1.0, 2.0]])


def test_setitem_on_leaf_requiring_grad_raises():
    x = ember.tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        x[0] = 1.0


# ---- clear errors -----------------------------------------------------------------------


def test_reshape_to_impossible_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        ops.reshape(ember.tensor(np.zeros((2, 3))), (4, 2))


def test_concatenate_mismatched_shapes_raises_with_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        ops.concatenate([ember.tensor(np.zeros((2, 3))), ember.tensor(np.zeros((2, 4)))])


def test_concatenate_different_ndim_raises():
    with pytest.raises(ValueError, match="concatenate"):
        ops.concatenate([ember.tensor(np.zeros((2, 3))), ember.tensor(np.zeros(3))])


def test_concatenate_nothing_raises():
    with pytest.raises(ValueError, match="at least one"):
        ops.concatenate([])


def test_squeeze_axis_not_of_length_one_raises():
    with pytest.raises(ValueError, match="squeeze"):
        ops.squeeze(ember.tensor(np.zeros((2, 1))), 0)


def test_transpose_with_bad_permutation_raises():
    with pytest.raises(ValueError, match="permutation"):
        ops.transpose(ember.tensor(np.zeros((2, 3))), (0, 0))


def test_split_into_unequal_sections_raises():
    with pytest.raises(ValueError, match="equal sections"):
        ops.split(ember.tensor(np.zeros(5)), 2)


def test_moveaxis_out_of_range_raises():
    with pytest.raises(ValueError, match="out of bounds"):
        ops.moveaxis(ember.tensor(np.zeros((2, 3))), 0, 5)


def test_pad_modes_other_than_constant_raise():
    with pytest.raises(ValueError, match="constant"):
        ops.pad(ember.tensor(np.zeros(3)), 1, mode="reflect")
