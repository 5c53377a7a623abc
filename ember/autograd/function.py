"""``Function``: the contract every differentiable operation follows, ember's and a user's.

A Function computes on raw arrays. ``forward(ctx, *args)`` returns an array (or a tuple of
arrays); ``backward(ctx, *grad_outputs)`` returns one gradient per positional input of
``forward``, ``None`` where ``ctx.needs_input_grad[i]`` is false. Backward must not modify the
incoming gradients in place: the engine may hand the same array to several consumers.

Example:
    >>> import ember
    >>> class Cube(ember.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return 3 * x ** 2 * grad
    >>> x = ember.tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).sum().backward()
    >>> x.grad.item()
    12.0
"""

from __future__ import annotations

from ember.autograd.grad_mode import GRAD_ENABLED
from ember.autograd.tensor import Tensor


class Context:
    """A node of the graph: what a Function's backward needs to know about its forward.

    Holds ``fn`` (the Function class), ``parents`` (the positional inputs, Tensors or plain
    values), ``needs_input_grad`` and whatever ``forward`` saved. Ops may set further
    attributes (``ctx.axis = axis``).
    """

    saved_tensors = ()
    n_outputs = 1
    freed = False
    retained = None  # {output index: tensor} for non-leaves that keep their .grad
    materialize_grads = True
    # True while ``backward`` runs for the last time (the graph is freed right after, no
    # ``retain_graph``): it may then overwrite the arrays it saved, as scratch space.
    saved_reusable = False

    def __init__(self, fn, parents, needs_input_grad):
        self.fn = fn
        self.parents = parents
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *values) -> None:
        """Keep arrays (or anything) for backward; read them back from ``saved_tensors``."""
        self.saved_tensors = values

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` of a multi-output function receives None (instead of
        zeros) for the outputs that no gradient reached, and can skip their work."""
        self.materialize_grads = bool(value)

    def mark_non_differentiable(self, *outputs) -> None:
        """Accepted for PyTorch compatibility: integer/bool outputs never require grad."""

    def __repr__(self) -> str:
        return f"<{self.fn.__name__}Backward>"


class Function:
    """Base class of differentiable operations (see the module docstring)."""

    @staticmethod
    def forward(ctx: Context, *args, **kwargs):
        raise TypeError("Function.forward must be overridden by a subclass")

    @staticmethod
    def backward(ctx: Context, *grad_outputs):
        raise TypeError("Function.backward must be overridden by a subclass")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the arrays of ``args`` and record the graph when needed.

        Positional Tensor arguments are inputs that may receive gradients; other positional
        values and all keyword arguments are passed through unchanged.
        """
        arrays = []
        needs = []
        record = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                needs.append(a.requires_grad)
                record = record or a.requires_grad
            else:
                arrays.append(a)
                needs.append(False)
        if record and GRAD_ENABLED[0]:
            ctx = Context(cls, args, tuple(needs))
        else:
            record = False
            ctx = Context(cls, (), (False,) * len(args))
        out = cls.forward(ctx, *arrays, **kwargs)
        if type(out) is tuple:
            if not record:
                return tuple(Tensor._make(o) for o in out)
            ctx.n_outputs = len(out)
            ctx.output_meta = tuple((o.shape, o.dtype) for o in out)
            return tuple(
                Tensor._make(o, ctx, i, o.dtype.kind in "fc") for i, o in enumerate(out)
            )
        if record and out.dtype.kind in "fc":
            return Tensor._make(out, ctx, 0, True)
        return Tensor._make(out)
