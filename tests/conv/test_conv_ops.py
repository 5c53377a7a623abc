"""conv, depthwise_conv, separable_conv and conv_transpose: every configuration against the
direct-loop references of ``conv_reference``, a float64 gradient check of inputs and
kernels, float32 in float32 out, and clear errors."""

from __future__ import annotations

import conv_reference as ref
import numpy as np
import pytest
from op_harness import Case, check_float32, check_forward, check_gradcheck, normal, params

import ember
from ember import ops


def conv_case(id_, x_shape, w_shape, strides=1, padding="valid", dilation=1):
    rank = len(w_shape) - 2
    s = (strides,) * rank if isinstance(strides, int) else strides
    d = (dilation,) * rank if isinstance(dilation, int) else dilation
    return Case(id_, lambda x, w: ops.conv(x, w, strides, padding, dilation_rate=dilation),
                lambda x, w: ref.conv(x, w, s, padding, d),
                [normal(*x_shape), normal(*w_shape)])


def transpose_case(id_, x_shape, w_shape, strides=1, padding="valid", output_padding=None,
                   dilation=1):
    rank = len(w_shape) - 2
    s = (strides,) * rank if isinstance(strides, int) else strides
    d = (dilation,) * rank if isinstance(dilation, int) else dilation
    return Case(id_,
                lambda x, w: ops.conv_transpose(x, w, strides, padding, output_padding,
                                                dilation_rate=dilation),
                lambda x, w: ref.conv_transpose(x, w, s, padding, output_padding, d),
                [normal(*x_shape), normal(*w_shape)])


CONV = [
    conv_case("conv1d-valid", (2, 7, 3), (3, 3, 4)),
    conv_case("conv1d-same-stride2-even-kernel", (2, 8, 3), (4, 3, 2), 2, "same"),
    conv_case("conv1d-causal-pads-dilation2", (1, 6, 1), (3, 1, 2), 1, [(4, 0)], 2),
    conv_case("conv1d-groups2", (2, 6, 4), (3, 2, 6)),
    conv_case("conv2d-valid-channels1", (2, 6, 5, 1), (3, 3, 1, 2)),
    conv_case("conv2d-same-stride-2x1-nonsquare", (2, 7, 5, 3), (3, 2, 3, 4), (2, 1), "same"),
    conv_case("conv2d-same-stride-3x2", (1, 8, 7, 3), (2, 3, 3, 2), (3, 2), "same"),
    conv_case("conv2d-valid-stride2", (2, 7, 6, 3), (3, 3, 3, 2), 2),
    conv_case("conv2d-dilation-2x1", (2, 7, 6, 3), (2, 3, 3, 2), 1, "valid", (2, 1)),
    conv_case("conv2d-dilation2-same", (1, 6, 6, 2), (3, 3, 2, 2), 1, "same", 2),
    conv_case("conv2d-explicit-pads-stride2", (1, 5, 4, 3), (3, 3, 3, 2), 2,
              [(1, 2), (0, 1)]),
    conv_case("conv2d-int-pad", (1, 4, 4, 1), (3, 3, 1, 2), 1, 1),
    conv_case("conv2d-groups2", (2, 5, 5, 4), (3, 3, 2, 6)),
    conv_case("conv2d-groups-equal-channels", (2, 5, 4, 3), (2, 2, 1, 6), 1, "same"),
    conv_case("conv2d-batch1-1x1", (1, 4, 4, 3), (1, 1, 3, 2)),
    conv_case("conv3d-valid", (1, 4, 5, 3, 2), (2, 3, 2, 2, 3)),
    conv_case("conv3d-same-stride2", (2, 5, 4, 4, 1), (3, 2, 3, 1, 2), 2, "same"),
    conv_case("conv3d-dilation-groups2", (1, 5, 5, 4, 4), (2, 2, 2, 2, 2), 1, "valid",
              (2, 1, 2)),
]

DEPTHWISE = [
    Case("depthwise2d-multiplier2-same-stride2",
         lambda x, w: ops.depthwise_conv(x, w, 2, "same"),
         lambda x, w: ref.depthwise_conv(x, w, (2, 2), "same", (1, 1)),
         [normal(2, 6, 5, 3), normal(3, 3, 3, 2)]),
    Case("depthwise1d-dilation2",
         lambda x, w: ops.depthwise_conv(x, w, dilation_rate=2),
         lambda x, w: ref.depthwise_conv(x, w, (1,), "valid", (2,)),
         [normal(2, 7, 3), normal(3, 3, 1)]),
    Case("separable2d-same",
         lambda x, dw, pw: ops.separable_conv(x, dw, pw, padding="same"),
         lambda x, dw, pw: ref.conv(ref.depthwise_conv(x, dw, (1, 1), "same", (1, 1)), pw,
                                    (1, 1), "valid", (1, 1)),
         [normal(2, 5, 6, 3), normal(3, 3, 3, 2), normal(1, 1, 6, 4)]),
    Case("separable1d-stride2",
         lambda x, dw, pw: ops.separable_conv(x, dw, pw, strides=2),
         lambda x, dw, pw: ref.conv(ref.depthwise_conv(x, dw, (2,), "valid", (1,)), pw,
                                    (1,), "valid", (1,)),
         [normal(1, 9, 2), normal(3, 2, 1), normal(1, 2, 3)]),
]

TRANSPOSE = [
    transpose_case("transpose1d-valid", (2, 5, 3), (3, 4, 3)),
    transpose_case("transpose1d-same-stride2", (2, 5, 3), (3, 4, 3), 2, "same"),
    transpose_case("transpose1d-valid-stride3-kernel2", (1, 4, 2), (2, 3, 2), 3),
    transpose_case("transpose1d-valid-output-padding2", (1, 4, 2), (2, 3, 2), 3, "valid", (2,)),
    transpose_case("transpose2d-same-stride2", (2, 4, 3, 3), (3, 3, 2, 3), 2, "same"),
    transpose_case("transpose2d-same-stride2-even-kernel", (1, 3, 4, 2), (4, 4, 3, 2), 2,
                   "same"),
    transpose_case("transpose2d-valid-output-padding", (1, 3, 4, 2), (3, 2, 3, 2), (2, 3),
                   "valid", (1, 2)),
    transpose_case("transpose2d-same-output-padding", (2, 3, 3, 2), (3, 3, 2, 2), 2, "same",
                   (1, 0)),
    transpose_case("transpose2d-dilation-2x1", (1, 4, 3, 2), (2, 3, 2, 2), 1, "valid", None,
                   (2, 1)),
    transpose_case("transpose2d-explicit-pads", (1, 4, 4, 2), (3, 3, 2, 2), 2,
                   [(1, 1), (1, 0)], (1, 0)),
    transpose_case("transpose2d-channels1-batch1", (1, 3, 3, 1), (2, 2, 1, 1), 2),
    transpose_case("transpose3d-same-stride2", (1, 3, 2, 3, 2), (2, 3, 2, 2, 2), 2, "same"),
]

def fused_case(id_, x_shape, w_shape, strides=1, padding="valid", groups_relu="relu"):
    """conv with the fused ``bias`` and ReLU against the reference plus a NumPy bias/ReLU."""
    rank = len(w_shape) - 2
    s = (strides,) * rank if isinstance(strides, int) else strides
    act = (lambda y: np.maximum(y, 0)) if groups_relu == "relu" else (lambda y: y)
    return Case(id_,
                lambda x, w, b: ops.conv(x, w, strides, padding, bias=b, activation=groups_relu),
                lambda x, w, b: act(ref.conv(x, w, s, padding, (1,) * rank) + b),
                [normal(*x_shape), normal(*w_shape), normal(w_shape[-1])])


FUSED = [
    fused_case("fused-conv2d-bias-relu", (2, 6, 5, 3), (3, 3, 3, 4)),
    fused_case("fused-conv2d-bias-relu-same-stride2", (2, 7, 6, 2), (3, 2, 2, 3), 2, "same"),
    fused_case("fused-conv1d-bias-linear", (2, 7, 3), (3, 3, 4), 1, "valid", None),
    fused_case("fused-conv2d-groups2-bias-relu", (2, 5, 5, 4), (3, 3, 2, 6)),
]

CASES = CONV + DEPTHWISE + TRANSPOSE + FUSED


@pytest.mark.parametrize("case", params(CASES))
def test_forward_matches_loops(case):
    check_forward(case)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck(case):
    check_gradcheck(case)


@pytest.mark.parametrize("case", params(CONV[::3] + DEPTHWISE[:1] + TRANSPOSE[::3] + FUSED))
def test_float32(case):
    check_float32(case)


@pytest.mark.parametrize("strides, padding, output_padding, dilation", [
    (1, "valid", None, 1), (2, "same", None, 1), (2, "valid", (1, 1), 1),
    (3, [(1, 2), (2, 1)], (2, 0), 1), (1, "same", None, 2), (3, "valid", (2, 1), 1),
])
def test_transpose_is_the_adjoint_of_conv(strides, padding, output_padding, dilation):
    # <conv(y, w), x> == <y, conv_transpose(x, w)>, the convolution mapping y back to x's
    # shape; output padding past the kernel's reach is cropped from y and must be zero.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 5, 3))
    w = rng.standard_normal((3, 2, 4, 3))
    t = ops.conv_transpose(x, w, strides, padding, output_padding, dilation_rate=dilation)
    t = t.numpy()
    y = rng.standard_normal(t.shape)
    pads, keep = [], [slice(None)]
    for axis, (n, k) in enumerate(zip(x.shape[1:3], w.shape[:2])):
        size = t.shape[axis + 1]
        if isinstance(padding, str):
            total = (n - 1) * strides + dilation * (k - 1) + 1 - size
            lo = max(total, 0) // 2 if padding == "same" else 0
        else:
            lo = padding[axis][0]
        reach = (n - 1) * strides + dilation * (k - 1) + 1 - lo
        pads.append((lo, max(reach - size, 0)))
        keep.append(slice(0, min(reach, size)))
    keep = tuple(keep)
    c = ops.conv(y[keep], w, strides, pads, dilation_rate=dilation).numpy()
    assert c.shape == x.shape
    np.testing.assert_allclose((c * x).sum(), (y[keep] * t[keep]).sum(), rtol=1e-10)
    np.testing.assert_allclose((y * t).sum(), (y[keep] * t[keep]).sum(), rtol=1e-10)


def test_conv_transpose_output_shapes_match_keras():
    x = ember.zeros(1, 7, 7, 4)
    w = ember.zeros(3, 3, 8, 4)
    assert ops.conv_transpose(x, w, 2).shape == (1, 15, 15, 8)
    assert ops.conv_transpose(x, w, 2, "same").shape == (1, 14, 14, 8)
    assert ops.conv_transpose(x, w, 2, "valid", output_padding=1).shape == (1, 16, 16, 8)
    assert ops.conv_transpose(x, w, 2, "same", output_padding=1).shape == (1, 14, 14, 8)
    assert ops.conv_transpose(x, ember.zeros(2, 2, 8, 4), 3).shape == (1, 21, 21, 8)


def test_conv_same_padding_puts_the_extra_pad_at_the_end():
    # A 2-tap kernel [1, 0] on "same" padding reads x[i] and x[i + 1] (0 past the end).
    x = ember.tensor(np.arange(1.0, 5.0).reshape(1, 4, 1))
    y = ops.conv(x, np.array([[[0.0]], [[1.0]]]), padding="same")
    np.testing.assert_array_equal(y.numpy().ravel(), [2.0, 3.0, 4.0, 0.0])


def test_non_contiguous_inputs_give_the_same_results():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((2, 6, 7, 3))
    w = rng.standard_normal((3, 2, 3, 4))
    for view in (base.transpose(0, 2, 1, 3), base[:, ::-1, ::2]):
        assert not view.flags["C_CONTIGUOUS"]
        for fn in (lambda t: ops.conv(t, w, 2, "same"), lambda t: ops.max_pool(t, 2),
                   lambda t: ops.conv_transpose(t, w.transpose(0, 1, 3, 2), 2)):
            np.testing.assert_array_equal(fn(view).numpy(),
                                          fn(np.ascontiguousarray(view)).numpy())


def test_conv_gradient_only_where_needed():
    x = ember.randn(2, 5, 5, 3)
    w = ember.randn(3, 3, 3, 4, requires_grad=True)
    ops.conv(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (3, 3, 3, 4)
    x = ember.randn(2, 5, 5, 3, requires_grad=True)
    w = ember.randn(3, 3, 3, 4)
    ops.conv(x, w, padding="same").sum().backward()
    assert w.grad is None and x.grad.shape == (2, 5, 5, 3)


@pytest.mark.parametrize("call, message", [
    (lambda: ops.conv(ember.zeros(28, 28), ember.zeros(3, 3, 1, 8)),
     r"conv: expected inputs with 4 dimensions .* received inputs of shape \(28, 28\)"),
    (lambda: ops.conv(ember.zeros(1, 8, 8, 3), ember.zeros(3, 3, 2, 8)),
     r"input channels \(3\) to be a multiple of the kernel's input channels"),
    (lambda: ops.conv(ember.zeros(1, 8, 8, 4), ember.zeros(3, 3, 2, 5)),
     r"filters \(kernel.shape\[-1\] = 5\) to be a multiple of groups = 2"),
    (lambda: ops.conv(ember.zeros(1, 8, 8, 1), ember.zeros(3, 3, 1, 2), padding="full"),
     r"conv: expected padding 'valid', 'same' or explicit pads, received padding='full'"),
    (lambda: ops.conv(ember.zeros(1, 2, 8, 1), ember.zeros(3, 3, 1, 2)),
     r"conv: the window .* larger than the padded input: input shape \(1, 2, 8, 1\)"),
    (lambda: ops.conv(ember.zeros(1, 8, 8, 1), ember.zeros(3, 3, 1, 2), strides=(1, 0)),
     r"conv: expected every strides >= 1, received strides=\(1, 0\)"),
    (lambda: ops.conv(ember.zeros(1, 8, 8, 1), ember.zeros(3, 3, 1, 2), strides=(1, 2, 3)),
     r"conv: expected strides to be an int or 2 ints, received strides=\(1, 2, 3\)"),
    (lambda: ops.conv(ember.zeros(1, 8, 8, 1), ember.zeros(3, 3, 1, 2),
                      data_format="channels_first"),
     r"conv: expected data_format='channels_last' or None"),
    (lambda: ops.conv(ember.zeros(1, 8, 8, 1), ember.zeros(3, 3, 1, 2), padding=[(1, -1)] * 2),
     r"conv: expected non-negative pads"),
    (lambda: ops.conv(ember.zeros(1, 8, 8, 1), ember.zeros(3, 3, 1, 2), activation="tanh"),
     r"conv: expected activation None, 'linear' or 'relu' \(fused\), received 'tanh'"),
    (lambda: ops.conv(ember.zeros(1, 8, 8, 1), ember.zeros(3, 3, 1, 2), bias=ember.zeros(3)),
     r"conv: expected a bias of shape \(2,\), received \(3,\)"),
    (lambda: ops.depthwise_conv(ember.zeros(1, 8, 8, 3), ember.zeros(3, 3, 2, 1)),
     r"depthwise_conv: expected .* received inputs of shape \(1, 8, 8, 3\) and a kernel of "
     r"shape \(3, 3, 2, 1\)"),
    (lambda: ops.conv_transpose(ember.zeros(1, 8, 8, 3), ember.zeros(3, 3, 3, 2)),
     r"conv_transpose: expected .* C = kernel.shape\[-1\] .* received inputs of shape"),
    (lambda: ops.conv_transpose(ember.zeros(1, 1, 1, 2), ember.zeros(3, 3, 3, 2),
                                padding=[(2, 2), (0, 0)]),
     r"conv_transpose: padding=\[\(2, 2\), \(0, 0\)\] leaves an empty output"),
    (lambda: ops.conv_transpose(ember.zeros(1, 4, 2), ember.zeros(3, 3, 2), 2,
                                output_padding=-1),
     r"conv_transpose: expected every output_padding >= 0"),
])
def test_errors_name_the_op_and_the_values(call, message):
    with pytest.raises(ValueError, match=message):
        call()
