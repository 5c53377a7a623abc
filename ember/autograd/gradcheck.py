"""Numerical gradient checking: central differences in float64 against backward."""

from __future__ import annotations

import numpy as np

from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.backend import array_module


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` with a table of the worst errors per input."""


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0) -> bool:
    """Compare the gradient backward computes with central differences.

    ``fn(*inputs)`` returns a tensor (or a tuple of them). The check projects the outputs on
    a fixed random direction ``v`` and compares, for every input that requires grad, the
    analytic ``d(sum(v * fn))/dx`` with ``(f(x + eps) - f(x - eps)) / (2 eps)`` element by
    element. Inputs that require grad must be float64.

    Returns True, or raises ``GradcheckError`` with the worst absolute and relative error of
    each input.

    Example:
        >>> import ember
        >>> x = ember.randn(3, 4, dtype="float64", requires_grad=True)
        >>> ember.gradcheck(lambda t: (t * t).sum(axis=1), [x])
        True
    """
    inputs = list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: expected at least one input with requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise ValueError(
                f"gradcheck: expected float64 inputs, received input {i} of dtype "
                f"{inputs[i].dtype}; create it with dtype='float64'"
            )

    outputs = _as_tuple(fn(*inputs))
    rng = np.random.default_rng(seed)
    directions = [
        array_module(o.data).asarray(rng.standard_normal(o.shape)) for o in outputs
    ]

    def objective() -> float:
        with no_grad():
            outs = _as_tuple(fn(*inputs))
        return float(sum((o.data * v).sum() for o, v in zip(outs, directions)))

    for i in checked:
        inputs[i].grad = None
    total = None
    for o, v in zip(outputs, directions):
        if not o.requires_grad:
            continue
        term = (o * Tensor._make(v)).sum()
        total = term if total is None else total + term
    if total is None:
        raise GradcheckError("gradcheck: no output requires grad; nothing connects to inputs")
    total.backward()

    rows = []
    failed = False
    for i in checked:
        x = inputs[i]
        analytic = x.grad.numpy() if x.grad is not None else np.zeros(x.shape)
        numeric = np.zeros(x.shape)
        numeric_flat = numeric.reshape(-1)
        # Index x.data itself: reshape(-1) of a non-contiguous array would perturb a copy.
        for k, idx in enumerate(np.ndindex(x.shape)):
            orig = x.data[idx].item()
            x.data[idx] = orig + eps
            up = objective()
            x.data[idx] = orig - eps
            down = objective()
            x.data[idx] = orig
            numeric_flat[k] = (up - down) / (2 * eps)
        abs_err = np.abs(analytic - numeric)
        rel_err = abs_err / np.maximum(np.abs(numeric), 1e-12)
        bad = ~(abs_err <= atol + rtol * np.abs(numeric))  # NaN on either side fails
        worst = int(np.argmax(abs_err)) if abs_err.size else 0
        rows.append(
            (i, x.shape, abs_err.max(initial=0.0), rel_err.max(initial=0.0), int(bad.sum()),
             worst, analytic.reshape(-1)[worst] if analytic.size else 0.0,
             numeric.reshape(-1)[worst] if numeric.size else 0.0)
        )
        failed |= bool(bad.any())
    if failed:
        lines = ["gradcheck failed: analytic and numerical gradients differ",
                 f"{'input':>5} {'shape':>16} {'max abs err':>12} {'max rel err':>12} "
                 f"{'bad':>5} {'worst at':>8} {'analytic':>12} {'numeric':>12}"]
        for i, shape, a, r, n, w, an, nu in rows:
            lines.append(f"{i:>5} {str(shape):>16} {a:12.3e} {r:12.3e} {n:>5} {w:>8} "
                         f"{an:12.5g} {nu:12.5g}")
        raise GradcheckError("\n".join(lines))
    return True


def _as_tuple(out):
    if isinstance(out, Tensor):
        return (out,)
    return tuple(out)
