"""The one place that chooses the array module.

Every numerical function in emn_np asks this module for its array functions
(``xp = backend.xp()``) instead of importing NumPy directly, so the same math
runs on a GPU by swapping in CuPy::

    import emn_np
    emn_np.backend.set_backend("cupy")     # or "numpy" (the default)

Random numbers always come from a seeded generator made here (``rng(seed)``),
so a seed gives the same parameters and samples on every run.
"""
from __future__ import annotations

import numpy as np

_XP = np
_NAME = "numpy"


def set_backend(name: str) -> None:
    """Choose the array module: ``"numpy"`` (default) or ``"cupy"``."""
    global _XP, _NAME
    if name == "numpy":
        _XP, _NAME = np, "numpy"
    elif name == "cupy":
        try:
            import cupy  # noqa: F401  (optional dependency)
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise ValueError(
                "backend 'cupy' needs CuPy and a CUDA GPU: pip install cupy-cuda12x "
                f"(import failed: {exc})"
            ) from None
        _XP, _NAME = cupy, "cupy"
    else:
        raise ValueError(f"backend must be 'numpy' or 'cupy', got {name!r}")


def xp():
    """The array module in use (``numpy`` or ``cupy``)."""
    return _XP


def name() -> str:
    """The name of the array module in use."""
    return _NAME


def rng(seed):
    """A seeded random generator of the array module in use."""
    return _XP.random.default_rng(seed)


def asarray(a, dtype=None):
    """Move ``a`` onto the current array module (a no-op for NumPy)."""
    return _XP.asarray(a, dtype=dtype)


def to_numpy(a):
    """Bring an array back to host NumPy (for saving, plotting, MIDI)."""
    if isinstance(a, np.ndarray):
        return a
    get = getattr(a, "get", None)
    return np.asarray(get() if get is not None else a)
