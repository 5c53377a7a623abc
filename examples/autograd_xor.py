"""A two-layer network written at the tensor level, trained on XOR with plain SGD.

Shows the engine alone: tensors that require grad, a forward pass, ``loss.backward()``, and
an in-place update under ``ember.no_grad()``.

    python examples/autograd_xor.py
"""

from __future__ import annotations

import ember
from ember import ops


def main() -> None:
    ember.utils.set_random_seed(0)
    x = ember.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = ember.tensor([[0.0], [1.0], [1.0], [0.0]])
    w1 = ember.randn(2, 8, requires_grad=True)
    b1 = ember.zeros(8, requires_grad=True)
    w2 = ember.randn(8, 1, requires_grad=True)
    b2 = ember.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    for step in range(2001):
        h = ops.tanh(x @ w1 + b1)
        loss = ops.binary_crossentropy(y, h @ w2 + b2, from_logits=True, reduction="mean")
        loss.backward()
        with ember.no_grad():
            for p in params:
                p -= 0.5 * p.grad
                p.grad = None
        if step % 400 == 0:
            print(f"step {step:5d}  loss {loss.item():.4f}")
    probs = ops.sigmoid(ops.tanh(x @ w1 + b1) @ w2 + b2)
    print("predictions:", [round(p, 3) for p in probs.numpy().ravel().tolist()])


if __name__ == "__main__":
    main()
