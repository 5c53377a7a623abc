"""The backward engine: an iterative topological sort, then one pass in reverse order.

Gradients flow as raw arrays keyed by graph node; a node's gradient is freed once its
backward has run, and leaves accumulate into ``.grad``. Recursion is never used, so graphs
of any depth work.
"""

from __future__ import annotations

from ember.autograd.tensor import Tensor


def run_backward(root: Tensor, grad=None, retain_graph: bool = False) -> None:
    if not root.requires_grad:
        raise RuntimeError(
            "backward: the tensor does not require grad and has no graph; "
            "create inputs with requires_grad=True"
        )
    xp_data = root.data
    if grad is None:
        if xp_data.size != 1:
            raise RuntimeError(
                f"backward: grad can be omitted only for a tensor with one element, "
                f"got shape {root.shape}; pass grad= of that shape"
            )
        grad = _ones_like(xp_data)
    else:
        grad = grad.data if isinstance(grad, Tensor) else grad
        if getattr(grad, "shape", None) != root.shape:
            raise RuntimeError(
                f"backward: expected grad of shape {root.shape}, "
                f"got {getattr(grad, 'shape', type(grad).__name__)}"
            )
    given = {id(grad)}  # arrays already owned elsewhere: a leaf must copy them
    if root._ctx is None:
        _accumulate_leaf(root, grad, given)
        return

    order = _topological_order(root._ctx)
    pending = {root._ctx: [None] * root._ctx.n_outputs}
    pending[root._ctx][root._idx] = grad
    for ctx in order:
        if ctx.freed:
            raise RuntimeError(
                f"backward: the graph through {ctx!r} was already freed by an earlier "
                "backward; pass retain_graph=True to the first backward to go through twice"
            )
        grads = pending.pop(ctx, None)
        if grads is None:
            continue
        if ctx.n_outputs > 1 and ctx.materialize_grads:
            grads = _fill_missing(grads, ctx.output_meta, xp_data)
        if ctx.retained:
            for i, t in ctx.retained.items():
                if grads[i] is not None:
                    _accumulate_leaf(t, grads[i], given)
        ctx.saved_reusable = not retain_graph
        input_grads = ctx.fn.backward(ctx, *grads)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if len(input_grads) != len(ctx.parents):
            raise RuntimeError(
                f"{ctx.fn.__name__}.backward: expected {len(ctx.parents)} gradients "
                f"(one per input), got {len(input_grads)}"
            )
        for parent, g, needed in zip(ctx.parents, input_grads, ctx.needs_input_grad):
            if not needed or g is None:
                continue
            if g.shape != parent.data.shape:
                raise RuntimeError(
                    f"{ctx.fn.__name__}.backward: gradient of shape {g.shape} for an input "
                    f"of shape {parent.data.shape}"
                )
            node = parent._ctx
            if node is None:
                _accumulate_leaf(parent, g, given)
                continue
            slots = pending.get(node)
            if slots is None:
                slots = pending[node] = [None] * node.n_outputs
            prev = slots[parent._idx]
            slots[parent._idx] = g if prev is None else prev + g
        if not retain_graph:
            _free(ctx)


def _topological_order(root_ctx) -> list:
    """Nodes reachable from ``root_ctx``, every consumer before the nodes it consumes."""
    order = []
    visited = set()
    stack = [(root_ctx, False)]
    while stack:
        ctx, expanded = stack.pop()
        if expanded:
            order.append(ctx)
            continue
        if ctx in visited:
            continue
        visited.add(ctx)
        stack.append((ctx, True))
        for p in ctx.parents:
            if isinstance(p, Tensor) and p.requires_grad and p._ctx is not None:
                if p._ctx not in visited:
                    stack.append((p._ctx, False))
    order.reverse()
    return order


def _accumulate_leaf(t: Tensor, g, given: set) -> None:
    """Add ``g`` into ``t.grad``. A leaf's first gradient is its own array, safe to update in
    place: ``g`` is copied when it may be shared (it, or the array it views, was handed to
    another leaf or came from the caller; it is read-only) and kept as it is otherwise (the
    common case: backward just made it)."""
    if t.grad is None:
        root = g
        while isinstance(root.base, type(g)):
            root = root.base
        shared = (id(g) in given or id(root) in given or g.dtype != t.data.dtype
                  or not getattr(g.flags, "writeable", True) or root.base is not None)
        given.add(id(g))
        given.add(id(root))
        t.grad = Tensor._make(g.astype(t.data.dtype, copy=True) if shared else g)
        return
    if g.dtype != t.data.dtype:
        g = g.astype(t.data.dtype)
    # Out of place: ``g`` may be shared with another consumer's gradient.
    t.grad = Tensor._make(t.grad.data + g)


def _fill_missing(grads, meta, like):
    from ember.backend import array_module

    xp = array_module(like)
    return [
        g if g is not None else xp.zeros(shape, dtype=dtype)
        for g, (shape, dtype) in zip(grads, meta)
    ]


def _ones_like(a):
    from ember.backend import array_module

    return array_module(a).ones(a.shape, dtype=a.dtype)


def _free(ctx) -> None:
    """Drop what the node holds (saved arrays, inputs), keeping only its name."""
    fn = ctx.fn
    ctx.__dict__.clear()
    ctx.fn, ctx.freed, ctx.parents, ctx.n_outputs = fn, True, (), 1
