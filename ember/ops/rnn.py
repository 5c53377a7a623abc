"""Fused recurrent kernels: ``lstm``, ``gru`` and ``simple_rnn`` run a whole sequence as one
differentiable op, with backpropagation through time written by hand.

The work is shaped as a few large matrix products:

- the input projection of all time steps is one product ``(T*B, D) @ (D, G*U)`` before the
  time loop (``G`` gates of ``U`` units); the LSTM folds it into its per-step product
  instead (see ``LSTMSequence``: faster with OpenBLAS for few input features);
- each step makes one recurrent product ``(B, U) @ (U, G*U)`` with all gates fused (GRU with
  ``reset_after=False`` needs a second one: its reset gate acts before the candidate's
  product);
- backward walks the steps in reverse over the saved gate activations and stores the
  pre-activation gradients ``dZ`` of every step; then the recurrent-kernel gradient is one
  product ``H_prev^T @ dZ`` over all steps stacked, the kernel gradient one product
  ``X^T @ dZ`` and the input gradient one product ``dZ @ W^T``.

Masks follow Keras 3: at a masked step the states are carried through unchanged; the output
there repeats the previous step's output (zeros before the first unmasked step), or is zero
with ``zero_output_for_mask=True``. ``last_output`` is the last element of ``outputs``.

Activations run fused when they are one of ``FUSED_ACTIVATIONS``; their derivatives are
computed from their outputs.

Example:
    >>> import ember
    >>> from ember.ops import rnn
    >>> x = ember.randn(2, 5, 3)
    >>> h0 = c0 = ember.zeros(2, 4)
    >>> w, u, b = ember.randn(3, 16), ember.randn(4, 16), ember.zeros(16)
    >>> last, outputs, (h, c) = rnn.lstm(x, h0, c0, None, w, u, b)
    >>> last.shape, outputs.shape, c.shape
    ((2, 4), (2, 5, 4), (2, 4))
"""

from __future__ import annotations

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.ops._util import as_tensor, xp_of
from ember.ops.shape import swapaxes

# ---- public ops -------------------------------------------------------------------------


def lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias=None,
         activation: str = "tanh", recurrent_activation: str = "sigmoid",
         go_backwards: bool = False, zero_output_for_mask: bool = False):
    """Long short-term memory (Hochreiter & Schmidhuber 1997) over a whole sequence, with
    Keras's gate order ``i, f, c, o`` in ``kernel`` ``(D, 4U)``, ``recurrent_kernel``
    ``(U, 4U)`` and ``bias`` ``(4U,)``. With ``a`` = activation, ``s`` = recurrent_activation::

        z = x_t W + h_{t-1} U + b          split into z_i, z_f, z_c, z_o
        c_t = s(z_f) * c_{t-1} + s(z_i) * a(z_c)
        h_t = s(z_o) * a(c_t)

    Returns ``(last_output, outputs, [h, c])``: outputs ``(B, T, U)`` in processing order
    (reversed when ``go_backwards``) and the final states.
    """
    x, (h0, c0), weights, mask_tm = _prepare("lstm", inputs, (initial_state_h, initial_state_c),
                                             kernel, recurrent_kernel, bias, mask, 4, go_backwards)
    _check_activations("lstm", activation, recurrent_activation)
    hs, h_last, c_last = LSTMSequence.apply(x, h0, c0, *weights, mask_tm, go_backwards,
                                            activation, recurrent_activation)
    if mask_tm is None:  # the last output is the last state: no gradient through ``hs``
        return h_last, swapaxes(hs, 0, 1), [h_last, c_last]
    last, outputs = _outputs(hs, mask_tm, zero_output_for_mask)
    return last, outputs, [h_last, c_last]


def gru(inputs, initial_state, mask, kernel, recurrent_kernel, bias=None,
        activation: str = "tanh", recurrent_activation: str = "sigmoid",
        reset_after: bool = True, go_backwards: bool = False,
        zero_output_for_mask: bool = False):
    """Gated recurrent unit (Cho et al. 2014) over a whole sequence, with Keras's gate order
    ``z, r, h`` in ``kernel`` ``(D, 3U)`` and ``recurrent_kernel`` ``(U, 3U)``::

        z = s(x W_z + b_z + h U_z [+ b'_z])     r = s(x W_r + b_r + h U_r [+ b'_r])
        reset_after=True  (bias (2, 3U): input row b, recurrent row b'):
            hh = a(x W_h + b_h + r * (h U_h + b'_h))
        reset_after=False (bias (3U,)):
            hh = a(x W_h + b_h + (r * h) U_h)
        h_t = z * h_{t-1} + (1 - z) * hh

    Returns ``(last_output, outputs, [h])``.

    Example:
        >>> import ember
        >>> from ember.ops import rnn
        >>> x, h0 = ember.randn(2, 5, 3), ember.zeros(2, 4)
        >>> w, u, b = ember.randn(3, 12), ember.randn(4, 12), ember.zeros(2, 12)
        >>> last, outputs, (h,) = rnn.gru(x, h0, None, w, u, b)
        >>> outputs.shape, bool((last.numpy() == h.numpy()).all())
        ((2, 5, 4), True)
    """
    x, (h0,), weights, mask_tm = _prepare("gru", inputs, (initial_state,), kernel,
                                          recurrent_kernel, bias, mask, 3, go_backwards)
    _check_activations("gru", activation, recurrent_activation)
    _check_gru_bias(bias, weights[1].shape[0], reset_after)
    hs = GRUSequence.apply(x, h0, *weights, mask_tm, go_backwards, activation,
                           recurrent_activation, reset_after)
    last, outputs = _outputs(hs, mask_tm, zero_output_for_mask)
    return last, outputs, [hs[-1]]


def simple_rnn(inputs, initial_state, mask, kernel, recurrent_kernel, bias=None,
               activation: str = "tanh", recurrent_dropout_mask=None,
               go_backwards: bool = False, zero_output_for_mask: bool = False):
    """Fully connected recurrence (Elman 1990) over a whole sequence::

        h_t = a(x_t W + b + (h_{t-1} * m) U)

    where ``m`` is ``recurrent_dropout_mask`` ``(B, U)`` (one mask for all steps) or 1.
    Returns ``(last_output, outputs, [h])``.

    Example:
        >>> import ember, numpy as np
        >>> from ember.ops import rnn
        >>> x, h0 = ember.randn(2, 3, 2), ember.zeros(2, 4)
        >>> mask = np.array([[True, True, False], [True, False, False]])
        >>> last, outputs, _ = rnn.simple_rnn(x, h0, mask, ember.randn(2, 4), ember.randn(4, 4))
        >>> bool((outputs.numpy()[1, 1] == outputs.numpy()[1, 0]).all())  # repeats at masks
        True
    """
    x, (h0,), weights, mask_tm = _prepare("simple_rnn", inputs, (initial_state,), kernel,
                                          recurrent_kernel, bias, mask, 1, go_backwards)
    _check_activations("simple_rnn", activation)
    rmask = None
    if recurrent_dropout_mask is not None:
        rmask = as_tensor(recurrent_dropout_mask).data.astype(x.dtype, copy=False)
        if rmask.shape != h0.shape:
            raise ValueError(
                f"simple_rnn: expected recurrent_dropout_mask of shape {h0.shape}, "
                f"received {rmask.shape}"
            )
    hs = SimpleRNNSequence.apply(x, h0, *weights, mask_tm, go_backwards, activation, rmask)
    last, outputs = _outputs(hs, mask_tm, zero_output_for_mask)
    return last, outputs, [hs[-1]]


def unstack_time(inputs) -> list:
    """The time steps ``inputs[:, t]`` of a ``(batch, time, ...)`` tensor as a list, in one op
    whose backward writes every step's gradient into one array (``unstack`` through
    indexing would allocate a full-size gradient per step).

    Example:
        >>> import ember
        >>> from ember.ops import rnn
        >>> [t.shape for t in rnn.unstack_time(ember.ones(2, 3, 4))]
        [(2, 4), (2, 4), (2, 4)]
    """
    x = as_tensor(inputs)
    return list(UnstackTime.apply(x))


# ---- activations ------------------------------------------------------------------------


def _sigmoid(xp, x, out):
    # 0.5 * (1 + tanh(x / 2)) is the sigmoid without overflow, computed in place.
    xp.multiply(x, 0.5, out=out)
    xp.tanh(out, out=out)
    out *= 0.5
    out += 0.5


def _hard_sigmoid(xp, x, out):
    xp.add(x, 3.0, out=out)
    xp.clip(out, 0.0, 6.0, out=out)
    out /= 6.0


def _linear(xp, x, out):
    if out is not x:
        xp.copyto(out, x)


def _tanh_derivative(xp, y, out):
    xp.multiply(y, y, out=out)
    xp.subtract(1.0, out, out=out)


def _sigmoid_derivative(xp, y, out):
    xp.subtract(1.0, y, out=out)
    out *= y


def _hard_sigmoid_derivative(xp, y, out):
    xp.greater(y, 0.0, out=out)
    out *= y < 1.0
    out *= 1.0 / 6.0


# name -> (forward into ``out``, derivative into ``out`` from the output ``y``); ``out`` may
# be the argument itself.
_ACTIVATIONS = {
    "tanh": (lambda xp, x, out: xp.tanh(x, out=out), _tanh_derivative),
    "sigmoid": (_sigmoid, _sigmoid_derivative),
    "relu": (lambda xp, x, out: xp.maximum(x, 0.0, out=out),
             lambda xp, y, out: xp.greater(y, 0.0, out=out)),
    "hard_sigmoid": (_hard_sigmoid, _hard_sigmoid_derivative),
    "linear": (_linear, lambda xp, y, out: out.fill(1.0)),
}
FUSED_ACTIVATIONS = tuple(_ACTIVATIONS)


def _check_activations(op: str, *names) -> None:
    for name in names:
        if name not in _ACTIVATIONS:
            raise ValueError(
                f"{op}: expected an activation among {FUSED_ACTIVATIONS}, received {name!r}"
            )


# ---- shared preparation -----------------------------------------------------------------


def _prepare(op, inputs, states, kernel, recurrent_kernel, bias, mask, n_gates, go_backwards):
    """Check shapes; cast states and weights to the input dtype; the mask ``(T, B, 1)`` in
    processing order."""
    x = as_tensor(inputs)
    if x.ndim != 3 or x.dtype.kind != "f":
        raise ValueError(
            f"{op}: expected float inputs of shape (batch, timesteps, features), "
            f"received shape {x.shape} and dtype {x.dtype}"
        )
    batch, steps, features = x.shape
    kernel, recurrent_kernel = as_tensor(kernel, x.dtype), as_tensor(recurrent_kernel, x.dtype)
    units = recurrent_kernel.shape[0]
    if kernel.shape != (features, n_gates * units) or recurrent_kernel.shape != (
            units, n_gates * units):
        raise ValueError(
            f"{op}: expected kernel of shape {(features, n_gates * units)} and "
            f"recurrent_kernel of shape {(units, n_gates * units)}, received "
            f"{kernel.shape} and {recurrent_kernel.shape}"
        )
    states = tuple(as_tensor(s, x.dtype) for s in states)
    for s in states:
        if s.shape != (batch, units):
            raise ValueError(
                f"{op}: expected initial states of shape {(batch, units)}, received {s.shape}"
            )
    bias = None if bias is None else as_tensor(bias, x.dtype)
    mask_tm = None
    if mask is not None:
        m = mask.data if isinstance(mask, Tensor) else xp_of(x.data).asarray(mask)
        if m.shape != (batch, steps):
            raise ValueError(
                f"{op}: expected a mask of shape {(batch, steps)}, received {m.shape}"
            )
        mask_tm = m.astype(bool).T[:, :, None]
        mask_tm = xp_of(x.data).ascontiguousarray(mask_tm[::-1] if go_backwards else mask_tm)
    return x, states, (kernel, recurrent_kernel, bias), mask_tm


def _check_gru_bias(bias, units, reset_after) -> None:
    if bias is None:
        return
    expected = (2, 3 * units) if reset_after else (3 * units,)
    if tuple(bias.shape) != expected:
        raise ValueError(
            f"gru: expected bias of shape {expected} with reset_after={reset_after}, "
            f"received {tuple(bias.shape)}"
        )


def _outputs(hs, mask_tm, zero_output_for_mask):
    """``(last_output, outputs)`` from the states after each step ``hs`` ``(T, B, U)``."""
    if mask_tm is not None:
        xp = xp_of(mask_tm)
        keep = mask_tm if zero_output_for_mask else xp.cumsum(mask_tm, axis=0) > 0
        hs = hs * Tensor._make(keep.astype(hs.dtype))
    return hs[-1], swapaxes(hs, 0, 1)


def _time_major(xp, x, go_backwards):
    xs = x.transpose(1, 0, 2)
    return xp.ascontiguousarray(xs[::-1] if go_backwards else xs)


def _project(xs, kernel, bias):
    """``xs @ kernel + bias`` for all time steps at once: ``(T, B, G*U)``."""
    steps, batch, features = xs.shape
    z = (xs.reshape(steps * batch, features) @ kernel).reshape(steps, batch, -1)
    if bias is not None:
        z += bias
    return z


def _input_grads(ctx, xs, dz, kernel, go_backwards):
    """Gradients of the input projection ``xs @ kernel + bias``: ``(dx, dkernel, dbias)``,
    each None unless needed (the bias is the input two places after the kernel)."""
    xp = xp_of(dz)
    steps, batch, features = xs.shape
    dz2 = dz.reshape(steps * batch, -1)
    dx = dkernel = dbias = None
    if ctx.needs_input_grad[0]:
        dxs = (dz2 @ kernel.T).reshape(steps, batch, features)
        dx = xp.ascontiguousarray((dxs[::-1] if go_backwards else dxs).transpose(1, 0, 2))
    if ctx.needs_input_grad[ctx.kernel_index]:
        dkernel = xs.reshape(steps * batch, features).T @ dz2
    if ctx.needs_input_grad[ctx.kernel_index + 2]:
        dbias = dz2.sum(axis=0)
    return dx, dkernel, dbias


def _mask_step(masked, t, grad):
    """Zero ``grad`` (in place) where step ``t`` is masked; return the part removed, which
    flows past the step to the carried state (None without a mask)."""
    if masked is None:
        return None
    skipped = grad * masked[t]
    grad -= skipped
    return skipped


# ---- kernels ----------------------------------------------------------------------------


class LSTMSequence(Function):
    """Inputs ``x (B, T, D), h0, c0 (B, U), kernel, recurrent_kernel, bias``; constants
    ``mask (T, B, 1)``, ``go_backwards`` and the activation names. Outputs the hidden state
    after every step ``(T, B, U)``, the last hidden state and the last cell state ``(B, U)``.

    Inside, arrays are feature-major (batch last): a step's pre-activations are one
    ``(4U, B)`` block, ``[U^T W^T b] [h_{t-1}; x_t; 1]``: ONE product per step that takes in
    the input projection and the bias, in the gate order ``i, f, o, c``
    (the weights' columns are permuted once per call), so that every gate is a contiguous
    ``(U, B)`` block and no elementwise op runs over strided columns. With the sigmoid
    recurrent activation the ``i, f, o`` columns are also halved once per call:
    ``sigmoid(z) = (1 + tanh(z / 2)) / 2`` is then one ``tanh`` over all four gates (the
    candidate's ``tanh`` included) and one multiply-add.

    The forward keeps ``[h_{t-1}; x_t; 1]`` for every step as the columns of one
    ``(U + D + 1, T + 1, B)`` array, so that after the backward loop the gradients of the
    recurrent kernel, the kernel and the bias are the rows of ONE product of that array with
    the stacked pre-activation gradients.

    Why the input projection is not a separate product before the loop (as in GRU and
    SimpleRNN): it has the same arithmetic either way, but OpenBLAS runs a product with an
    inner dimension of a few dozen features (28 for sequential MNIST) at a third of its
    speed and the per-step addition of the projection costs a pass over memory; folded
    into the recurrent product, the forward of the sequential-MNIST LSTM went from 22 ms
    to 12 ms (one thread).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, kernel, recurrent_kernel, bias, mask, go_backwards,
                activation, recurrent_activation):
        xp = xp_of(x)
        act, rec = _ACTIVATIONS[activation][0], _ACTIVATIONS[recurrent_activation][0]
        batch, steps, features = x.shape
        u = recurrent_kernel.shape[0]
        order = _lstm_gate_order(xp, u)
        halved = recurrent_activation == "sigmoid"
        # Column t of ``hx``: h_{t-1} (rows :U), x_t in processing order, and a one for the
        # bias; column T holds the last state. ``weights`` (4U, U + D + 1) maps a column to
        # the step's pre-activations.
        k = u + features + (bias is not None)
        hx = xp.empty((k, steps + 1, batch), dtype=x.dtype)
        xs = x.transpose(2, 1, 0)
        hx[u:u + features, :steps] = xs[:, ::-1] if go_backwards else xs
        hx[u:, steps] = 0
        hx[:u, 0] = h0.T
        weights = xp.empty((4 * u, k), dtype=x.dtype)
        weights[:, :u] = recurrent_kernel[:, order].T
        weights[:, u:u + features] = kernel[:, order].T
        if bias is not None:
            hx[-1] = 1
            weights[:, -1] = bias[order]
        if halved:
            weights[:3 * u] *= 0.5
        gates = xp.empty((steps, 4 * u, batch), dtype=x.dtype)  # activated gates per step
        cs = xp.empty((steps + 1, u, batch), dtype=x.dtype)
        act_c = xp.empty((steps, u, batch), dtype=x.dtype)
        cs[0] = c0.T
        masked = None if mask is None else ~mask[:, None, :, 0]  # (T, 1, B)
        scratch = xp.empty((u, batch), dtype=x.dtype)
        one_tanh = halved and activation == "tanh"
        zero_h0 = not h0.any()  # Keras's default initial state: no product at step 0
        for t in range(steps):
            z = gates[t]
            if t or not zero_h0:
                xp.matmul(weights, hx[:, t], out=z)
            else:
                xp.matmul(weights[:, u:], hx[u:, 0], out=z)
            sig = z[:3 * u]
            if halved:
                xp.tanh(z if one_tanh else sig, out=z if one_tanh else sig)
                sig *= 0.5
                sig += 0.5
            else:
                rec(xp, sig, sig)
            if not one_tanh:
                act(xp, z[3 * u:], z[3 * u:])
            c = cs[t + 1]
            xp.multiply(z[u:2 * u], cs[t], out=c)
            c += xp.multiply(z[:u], z[3 * u:], out=scratch)
            act(xp, c, act_c[t])
            h = hx[:u, t + 1]
            xp.multiply(z[2 * u:3 * u], act_c[t], out=h)
            if masked is not None:
                xp.copyto(h, hx[:u, t], where=masked[t])
                xp.copyto(cs[t + 1], cs[t], where=masked[t])
        ctx.save_for_backward(hx, cs, act_c, gates, kernel, recurrent_kernel, masked)
        ctx.config = (go_backwards, activation, recurrent_activation, order)
        ctx.set_materialize_grads(False)
        return (hx[:u, 1:].transpose(1, 2, 0), xp.ascontiguousarray(hx[:u, -1].T),
                xp.ascontiguousarray(cs[-1].T))

    @staticmethod
    def backward(ctx, d_hs, d_h_last, d_c_last):
        hx, cs, act_c, gates, kernel, recurrent_kernel, masked = ctx.saved_tensors
        go_backwards, activation, recurrent_activation, order = ctx.config
        act_d, rec_d = _ACTIVATIONS[activation][1], _ACTIVATIONS[recurrent_activation][1]
        xp = xp_of(gates)
        steps, u, batch = act_c.shape
        features = kernel.shape[0]
        dtype = gates.dtype
        dh = xp.zeros((u, batch), dtype=dtype)
        dc = xp.zeros((u, batch), dtype=dtype)
        if d_h_last is not None:
            dh += d_h_last.T
        if d_c_last is not None:
            dc += d_c_last.T
        # Pre-activation gradients (T, 4U, B): over the gates, which are in cache when a
        # step's gradient is written, unless a later backward needs them again.
        dz_steps = gates if ctx.saved_reusable else xp.empty_like(gates)
        d_gates = xp.empty((4 * u, batch), dtype=dtype)  # dL/d(gate activations)
        derivative = xp.empty((4 * u, batch), dtype=dtype)
        scratch = xp.empty((u, batch), dtype=dtype)
        u_perm = xp.ascontiguousarray(recurrent_kernel[:, order])  # (U, 4U), unscaled
        for t in reversed(range(steps)):
            if d_hs is not None:
                dh += d_hs[t].T
            skipped_h, skipped_c = _mask_step(masked, t, dh), _mask_step(masked, t, dc)
            z = gates[t]
            i, f, o, g = z[:u], z[u:2 * u], z[2 * u:3 * u], z[3 * u:]
            act_d(xp, act_c[t], scratch)
            scratch *= o
            scratch *= dh
            dc += scratch  # the gradient of c_t, through h_t = o * a(c_t) too
            xp.multiply(dc, g, out=d_gates[:u])
            xp.multiply(dc, cs[t], out=d_gates[u:2 * u])
            xp.multiply(dh, act_c[t], out=d_gates[2 * u:3 * u])
            xp.multiply(dc, i, out=d_gates[3 * u:])
            dc *= f
            rec_d(xp, z[:3 * u], derivative[:3 * u])
            act_d(xp, g, derivative[3 * u:])
            dz = xp.multiply(d_gates, derivative, out=dz_steps[t])
            if t or ctx.needs_input_grad[1]:
                xp.matmul(u_perm, dz, out=dh)
            if masked is not None:
                dh += skipped_h
                dc += skipped_c
        # Steps side by side, (4U, T*B): one bulk copy is cheaper than writing each step's
        # block into it with a stride.
        n = steps * batch
        dz_all = xp.empty((4 * u, steps, batch), dtype=dtype)
        xp.copyto(dz_all, dz_steps.transpose(1, 0, 2))
        dz_all = dz_all.reshape(4 * u, n)
        dx = dkernel = drec = dbias = None
        needs = ctx.needs_input_grad
        if needs[3] or needs[4] or needs[5]:
            # Rows: recurrent kernel, kernel, bias; columns back in Keras's gate order.
            dw = (hx[:, :steps].reshape(hx.shape[0], n) @ dz_all.T)[:, order]
            drec = dw[:u] if needs[4] else None
            dkernel = dw[u:u + features] if needs[3] else None
            dbias = dw[-1] if needs[5] else None
        if needs[0]:
            dxs = (kernel[:, order] @ dz_all).reshape(features, steps, batch)
            dx = xp.ascontiguousarray((dxs[:, ::-1] if go_backwards else dxs).transpose(2, 1, 0))
        dh0 = dh.T if needs[1] else None
        return dx, dh0, dc.T, dkernel, drec, dbias, None, None, None, None


def _lstm_gate_order(xp, u):
    """The column permutation from Keras's gate order ``i, f, c, o`` to ``i, f, o, c`` (it is
    its own inverse: it swaps the last two blocks)."""
    return xp.concatenate([xp.arange(2 * u), xp.arange(3 * u, 4 * u), xp.arange(2 * u, 3 * u)])


class GRUSequence(Function):
    """Inputs ``x (B, T, D), h0 (B, U), kernel, recurrent_kernel, bias``; constants ``mask``,
    ``go_backwards``, the activation names and ``reset_after``. Outputs the hidden state after
    every step ``(T, B, U)``."""

    @staticmethod
    def forward(ctx, x, h0, kernel, recurrent_kernel, bias, mask, go_backwards, activation,
                recurrent_activation, reset_after):
        xp = xp_of(x)
        act, rec = _ACTIVATIONS[activation][0], _ACTIVATIONS[recurrent_activation][0]
        xs = _time_major(xp, x, go_backwards)
        steps, batch = xs.shape[:2]
        u = recurrent_kernel.shape[0]
        in_bias = rec_bias = None
        if bias is not None:
            in_bias, rec_bias = (bias[0], bias[1]) if reset_after else (bias, None)
        gates = _project(xs, kernel, in_bias)  # becomes z, r, hh
        hs = xp.empty((steps + 1, batch, u), dtype=x.dtype)
        hs[0] = h0
        masked = None if mask is None else ~mask
        # reset_after: h U_h (+ b'_h) per step; before: r * h_{t-1} per step.
        saved = xp.empty((steps, batch, u), dtype=x.dtype)
        if reset_after:
            product = xp.empty((batch, 3 * u), dtype=x.dtype)
        else:
            u_zr = xp.ascontiguousarray(recurrent_kernel[:, :2 * u])
            u_h = xp.ascontiguousarray(recurrent_kernel[:, 2 * u:])
        for t in range(steps):
            g = gates[t]
            if reset_after:
                xp.matmul(hs[t], recurrent_kernel, out=product)
                if rec_bias is not None:
                    product += rec_bias
                g[:, :2 * u] += product[:, :2 * u]
                rec(xp, g[:, :2 * u], g[:, :2 * u])
                xp.copyto(saved[t], product[:, 2 * u:])
                g[:, 2 * u:] += g[:, u:2 * u] * saved[t]
            else:
                g[:, :2 * u] += hs[t] @ u_zr
                rec(xp, g[:, :2 * u], g[:, :2 * u])
                xp.multiply(g[:, u:2 * u], hs[t], out=saved[t])
                g[:, 2 * u:] += saved[t] @ u_h
            hh = g[:, 2 * u:]
            act(xp, hh, hh)
            h = hs[t + 1]
            xp.subtract(hs[t], hh, out=h)
            h *= g[:, :u]
            h += hh
            if mask is not None:
                xp.copyto(h, hs[t], where=masked[t])
        ctx.save_for_backward(xs, hs, gates, saved, kernel, recurrent_kernel, masked)
        ctx.config = (go_backwards, activation, recurrent_activation, reset_after)
        ctx.kernel_index = 2
        return hs[1:]

    @staticmethod
    def backward(ctx, d_hs):
        xs, hs, gates, saved, kernel, recurrent_kernel, masked = ctx.saved_tensors
        go_backwards, activation, recurrent_activation, reset_after = ctx.config
        act_d, rec_d = _ACTIVATIONS[activation][1], _ACTIVATIONS[recurrent_activation][1]
        xp = xp_of(xs)
        steps, batch, u = d_hs.shape
        dx_all = xp.empty_like(gates)  # gradients of the input-side pre-activations
        # reset_after: the recurrent-side pre-activation gradients (z, r, h U_h + b'_h).
        d_rec = xp.empty_like(gates) if reset_after else None
        dh = xp.zeros((batch, u), dtype=d_hs.dtype)
        derivative = xp.empty((batch, 3 * u), dtype=d_hs.dtype)
        if reset_after:
            recurrent_t = xp.ascontiguousarray(recurrent_kernel.T)
        else:
            u_zr_t = xp.ascontiguousarray(recurrent_kernel[:, :2 * u].T)
            u_h_t = xp.ascontiguousarray(recurrent_kernel[:, 2 * u:].T)
        for t in reversed(range(steps)):
            dh += d_hs[t]
            skipped = _mask_step(masked, t, dh)
            g, dg = gates[t], dx_all[t]
            z, r, hh = g[:, :u], g[:, u:2 * u], g[:, 2 * u:]
            rec_d(xp, g, derivative)
            act_d(xp, hh, derivative[:, 2 * u:])
            xp.subtract(hs[t], hh, out=dg[:, :u])
            dg[:, :u] *= dh
            xp.subtract(1.0, z, out=dg[:, 2 * u:])
            dg[:, 2 * u:] *= dh
            dg[:, 2 * u:] *= derivative[:, 2 * u:]
            if reset_after:
                xp.multiply(dg[:, 2 * u:], saved[t], out=dg[:, u:2 * u])
                dg[:, :2 * u] *= derivative[:, :2 * u]
                dr = d_rec[t]
                dr[:, :2 * u] = dg[:, :2 * u]
                xp.multiply(dg[:, 2 * u:], r, out=dr[:, 2 * u:])
                through = dr @ recurrent_t
            else:
                d_rh = dg[:, 2 * u:] @ u_h_t
                xp.multiply(d_rh, hs[t], out=dg[:, u:2 * u])
                dg[:, :2 * u] *= derivative[:, :2 * u]
                through = dg[:, :2 * u] @ u_zr_t
                d_rh *= r
                through += d_rh
            dh *= z  # h_t = z * h_{t-1} + ...
            dh += through
            if masked is not None:
                dh += skipped
        dx, dkernel, d_in_bias = _input_grads(ctx, xs, dx_all, kernel, go_backwards)
        drec = dbias = None
        n = steps * batch
        if d_in_bias is not None:
            dbias = d_in_bias
            if reset_after:
                dbias = xp.stack([d_in_bias, d_rec.reshape(n, 3 * u).sum(axis=0)])
        if ctx.needs_input_grad[3]:
            h_prev = hs[:-1].reshape(n, u).T
            if reset_after:
                drec = h_prev @ d_rec.reshape(n, 3 * u)
            else:
                drec = xp.concatenate([h_prev @ dx_all[:, :, :2 * u].reshape(n, 2 * u),
                                       saved.reshape(n, u).T @ dx_all[:, :, 2 * u:].reshape(n, u)],
                                      axis=1)
        return dx, dh, dkernel, drec, dbias, None, None, None, None, None


class SimpleRNNSequence(Function):
    """Inputs ``x (B, T, D), h0 (B, U), kernel, recurrent_kernel, bias``; constants ``mask``,
    ``go_backwards``, the activation name and the recurrent dropout multiplier. Outputs the
    hidden state after every step ``(T, B, U)``."""

    @staticmethod
    def forward(ctx, x, h0, kernel, recurrent_kernel, bias, mask, go_backwards, activation,
                rmask):
        xp = xp_of(x)
        act = _ACTIVATIONS[activation][0]
        xs = _time_major(xp, x, go_backwards)
        steps, batch = xs.shape[:2]
        u = recurrent_kernel.shape[0]
        a = _project(xs, kernel, bias)  # pre-activations, then the new states in place
        hs = xp.empty((steps + 1, batch, u), dtype=x.dtype)
        hs[0] = h0
        masked = None if mask is None else ~mask
        for t in range(steps):
            h_prev = hs[t] if rmask is None else hs[t] * rmask
            a[t] += h_prev @ recurrent_kernel
            act(xp, a[t], a[t])
            xp.copyto(hs[t + 1], a[t])
            if mask is not None:
                xp.copyto(hs[t + 1], hs[t], where=masked[t])
        ctx.save_for_backward(xs, hs, a, kernel, recurrent_kernel, masked, rmask)
        ctx.config = (go_backwards, activation)
        ctx.kernel_index = 2
        return hs[1:]

    @staticmethod
    def backward(ctx, d_hs):
        xs, hs, a, kernel, recurrent_kernel, masked, rmask = ctx.saved_tensors
        go_backwards, activation = ctx.config
        act_d = _ACTIVATIONS[activation][1]
        xp = xp_of(xs)
        steps, batch, u = d_hs.shape
        da_all = xp.empty_like(a)
        dh = xp.zeros((batch, u), dtype=d_hs.dtype)
        recurrent_t = xp.ascontiguousarray(recurrent_kernel.T)
        for t in reversed(range(steps)):
            dh += d_hs[t]
            skipped = _mask_step(masked, t, dh)
            act_d(xp, a[t], da_all[t])
            da_all[t] *= dh
            xp.matmul(da_all[t], recurrent_t, out=dh)
            if rmask is not None:
                dh *= rmask
            if masked is not None:
                dh += skipped
        dx, dkernel, dbias = _input_grads(ctx, xs, da_all, kernel, go_backwards)
        drec = None
        if ctx.needs_input_grad[3]:
            h_prev = hs[:-1] if rmask is None else hs[:-1] * rmask
            drec = h_prev.reshape(steps * batch, u).T @ da_all.reshape(steps * batch, u)
        return dx, dh, dkernel, drec, dbias, None, None, None, None


class UnstackTime(Function):
    """``x (B, T, ...)`` to the ``T`` views ``x[:, t]``; backward fills one array."""

    @staticmethod
    def forward(ctx, x):
        return tuple(x[:, t] for t in range(x.shape[1]))

    @staticmethod
    def backward(ctx, *grads):
        return xp_of(grads[0]).stack(grads, axis=1)
