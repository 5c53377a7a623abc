"""``Tensor``: an array of the active array module plus what reverse-mode autodiff needs.

A tensor made by an op that recorded the graph holds ``_ctx``, the node of the Function
that made it; leaves (tensors you create) have none and receive gradients in ``.grad``.
Operators and methods forward to ``ember.ops``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ember import backend
from ember.autograd.grad_mode import GRAD_ENABLED


class Tensor:
    """A multi-dimensional array that can record operations for automatic differentiation.

    Example:
        >>> import ember
        >>> x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([2., 4., 6.])
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_idx", "_retains_grad", "_keras_mask",
                 "__weakref__")
    # NumPy defers to our reflected operators: ``ndarray * tensor`` calls ``__rmul__``.
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        self.data = _to_array(data, dtype)
        self.grad = None
        self._ctx = None
        self._idx = 0
        self._retains_grad = False
        self._keras_mask = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, ctx=None, idx=0, requires_grad=False):
        """Wrap an array without checks: the fast path ops use for their results."""
        if isinstance(data, np.generic):  # NumPy gives scalars for 0-d results: keep arrays
            data = np.asarray(data)
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t._ctx = ctx
        t._idx = idx
        t._retains_grad = False
        t._keras_mask = None
        t.requires_grad = requires_grad
        return t

    # ---- array facts -------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def device(self) -> str:
        return "cpu" if isinstance(self.data, np.ndarray) else "cuda"

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        """The graph node that made this tensor, or ``None`` for a leaf."""
        return self._ctx

    @property
    def T(self) -> Tensor:
        return _shape.transpose(self)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # ---- conversion --------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (copied from the GPU when needed). Never tracks grad."""
        return backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        a = backend.to_numpy(self.data)
        return a.astype(dtype) if dtype is not None else a

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"Tensor.item: expected a tensor with one element, got shape {self.shape}"
            )
        return self.data.item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data.item())

    def __hash__(self) -> int:
        return id(self)

    def astype(self, dtype) -> Tensor:
        """A copy cast to ``dtype``; differentiable between float dtypes."""
        return _math.cast(self, dtype)

    def float(self) -> Tensor:
        return self.astype("float32")

    def double(self) -> Tensor:
        return self.astype("float64")

    def to(self, dtype) -> Tensor:
        return self.astype(dtype)

    # ---- autograd ----------------------------------------------------------------------
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` that requires grad.

        ``grad`` is the gradient flowing into this tensor; it may be omitted only for a
        tensor with one element. The graph is freed afterwards unless ``retain_graph``.
        """
        from ember.autograd.engine import run_backward

        run_backward(self, grad, retain_graph)

    def detach(self) -> Tensor:
        """A tensor sharing this data, cut from the graph."""
        return Tensor._make(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only) and return self."""
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(
                f"requires_grad_: only float tensors can require grad, got dtype {self.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "requires_grad_(False): only leaves can change; use .detach() on a non-leaf"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf tensor in ``.grad`` during backward."""
        if self._ctx is None:
            return
        if self._ctx.retained is None:
            self._ctx.retained = {}
        self._ctx.retained[self._idx] = self
        self._retains_grad = True

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (set ``.grad`` to ``None``)."""
        self.grad = None

    def _check_inplace(self, op: str) -> None:
        if GRAD_ENABLED[0] and self.requires_grad:
            kind = "a leaf tensor" if self._ctx is None else "a tensor in the graph"
            raise RuntimeError(
                f"in-place {op} on {kind} that requires grad: wrap it in "
                "`with ember.no_grad():` or use the out-of-place form"
            )

    # ---- representation ----------------------------------------------------------------
    def __repr__(self) -> str:
        body = np.array2string(
            self.numpy(), separator=", ", prefix="tensor(", threshold=200, precision=4
        )
        extras = []
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self._ctx is not None and self.requires_grad:
            extras.append(f"grad_fn={self._ctx!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        tail = "".join(", " + e for e in extras)
        return f"tensor({body}{tail})"

    # ---- operators ---------------------------------------------------------------------
    def __add__(self, other):
        return _math.add(self, other)

    def __radd__(self, other):
        return _math.add(other, self)

    def __sub__(self, other):
        return _math.subtract(self, other)

    def __rsub__(self, other):
        return _math.subtract(other, self)

    def __mul__(self, other):
        return _math.multiply(self, other)

    def __rmul__(self, other):
        return _math.multiply(other, self)

    def __truediv__(self, other):
        return _math.divide(self, other)

    def __rtruediv__(self, other):
        return _math.divide(other, self)

    def __pow__(self, other):
        return _math.power(self, other)

    def __rpow__(self, other):
        return _math.power(other, self)

    def __matmul__(self, other):
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(other, self)

    def __neg__(self):
        return _math.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _math.abs(self)

    def __floordiv__(self, other):
        return _math.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _math.floor_divide(other, self)

    def __mod__(self, other):
        return _math.mod(self, other)

    def __rmod__(self, other):
        return _math.mod(other, self)

    def __eq__(self, other):  # type: ignore[override]
        return _math.equal(self, other)

    def __ne__(self, other):  # type: ignore[override]
        return _math.not_equal(self, other)

    def __lt__(self, other):
        return _math.less(self, other)

    def __le__(self, other):
        return _math.less_equal(self, other)

    def __gt__(self, other):
        return _math.greater(self, other)

    def __ge__(self, other):
        return _math.greater_equal(self, other)

    def __invert__(self):
        return _math.logical_not(self)

    def __and__(self, other):
        return _math.logical_and(self, other)

    def __or__(self, other):
        return _math.logical_or(self, other)

    def __xor__(self, other):
        return _math.logical_xor(self, other)

    def _inplace(self, ufunc: str, other, name: str):
        self._check_inplace(name)
        other = other.data if isinstance(other, Tensor) else other
        getattr(_xp(self), ufunc)(self.data, other, out=self.data, casting="same_kind")
        return self

    def __iadd__(self, other):
        return self._inplace("add", other, "+=")

    def __isub__(self, other):
        return self._inplace("subtract", other, "-=")

    def __imul__(self, other):
        return self._inplace("multiply", other, "*=")

    def __itruediv__(self, other):
        return self._inplace("true_divide", other, "/=")

    def __getitem__(self, index):
        return _shape.getitem(self, index)

    def __setitem__(self, index, value):
        self._check_inplace("item assignment")
        self.data[_raw_index(index)] = value.data if isinstance(value, Tensor) else value

    # In-place helpers in PyTorch's style, for leaves that don't record.
    def zero_(self) -> Tensor:
        self._check_inplace("zero_")
        self.data[...] = 0
        return self

    def fill_(self, value) -> Tensor:
        self._check_inplace("fill_")
        self.data[...] = value
        return self

    def copy_(self, other) -> Tensor:
        self._check_inplace("copy_")
        self.data[...] = other.data if isinstance(other, Tensor) else other
        return self

    # ---- methods that mirror NumPy (defined in ember.ops) -----------------------------
    def sum(self, axis=None, keepdims=False):
        return _reduce.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return _reduce.mean(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False):
        return _reduce.var(self, axis=axis, keepdims=keepdims)

    def std(self, axis=None, keepdims=False):
        return _reduce.std(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _reduce.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _reduce.min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False):
        return _reduce.prod(self, axis=axis, keepdims=keepdims)

    def logsumexp(self, axis=None, keepdims=False):
        return _reduce.logsumexp(self, axis=axis, keepdims=keepdims)

    def norm(self, ord=None, axis=None, keepdims=False):  # noqa: A002 - NumPy's name
        return _reduce.norm(self, ord=ord, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return _reduce.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return _reduce.argmin(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return _reduce.any(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return _reduce.all(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
            shape = shape[0]
        return _shape.reshape(self, shape)

    def view(self, *shape):
        return self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return _shape.flatten(self, start_dim, end_dim)

    def ravel(self):
        return _shape.reshape(self, (-1,))

    def transpose(self, *axes):
        if len(axes) == 1 and not isinstance(axes[0], numbers.Integral):
            axes = axes[0]
        return _shape.transpose(self, axes or None)

    def permute(self, *dims):
        if len(dims) == 1 and not isinstance(dims[0], numbers.Integral):
            dims = dims[0]
        return _shape.transpose(self, tuple(dims))

    def swapaxes(self, axis1, axis2):
        return _shape.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        return _shape.squeeze(self, axis)

    def expand_dims(self, axis):
        return _shape.expand_dims(self, axis)

    def unsqueeze(self, dim):
        return _shape.expand_dims(self, dim)

    def broadcast_to(self, shape):
        return _shape.broadcast_to(self, shape)

    def repeat(self, repeats, axis=None):
        return _shape.repeat(self, repeats, axis)

    def flip(self, axis=None):
        return _shape.flip(self, axis)

    def take(self, indices, axis=None):
        return _shape.take(self, indices, axis)

    def dot(self, other):
        return _linalg.dot(self, other)

    def matmul(self, other):
        return _linalg.matmul(self, other)

    def clip(self, x_min=None, x_max=None):
        return _math.clip(self, x_min, x_max)

    def exp(self):
        return _math.exp(self)

    def log(self):
        return _math.log(self)

    def sqrt(self):
        return _math.sqrt(self)

    def square(self):
        return _math.square(self)

    def abs(self):
        return _math.abs(self)

    def sign(self):
        return _math.sign(self)

    def tanh(self):
        return _math.tanh(self)

    def sigmoid(self):
        return _activation.sigmoid(self)

    def relu(self):
        return _activation.relu(self)

    def softmax(self, axis=-1):
        return _activation.softmax(self, axis=axis)

    def log_softmax(self, axis=-1):
        return _activation.log_softmax(self, axis=axis)


def _xp(t: Tensor):
    return np if type(t.data) is np.ndarray else backend.array_module(t.data)


def _to_array(data, dtype=None):
    """Convert ``data`` to an array of the active module; Python floats become floatx."""
    if isinstance(data, Tensor):
        data = data.data
    xp = backend.array_module(data)
    if xp is np and backend.xp() is not np and not isinstance(data, np.ndarray):
        xp = backend.xp()
    if dtype is not None:
        return xp.asarray(data, dtype=_dtype(dtype))
    if hasattr(data, "dtype"):
        return xp.asarray(data)
    arr = np.asarray(data)
    if arr.dtype == np.float64:
        arr = arr.astype(backend.floatx())
    return xp.asarray(arr)


def _dtype(dtype):
    return np.dtype(getattr(dtype, "name", dtype) if not isinstance(dtype, str) else dtype)


def _raw_index(index):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


# The ops modules import Tensor; import them last so the class exists when they do.
from ember.ops import activation as _activation  # noqa: E402
from ember.ops import linalg as _linalg  # noqa: E402
from ember.ops import math as _math  # noqa: E402
from ember.ops import reduce as _reduce  # noqa: E402
from ember.ops import shape as _shape  # noqa: E402
