"""emn_np: a NumPy-only teaching implementation of the Enhanced Memory Network (EMN)."""
from __future__ import annotations

import os

__version__ = "0.1.0"


def quick_mode() -> bool:
    """True when ``EMN_NP_QUICK`` is set to 1/true: lessons and demos shrink their work (CI sets it)."""
    return os.environ.get("EMN_NP_QUICK", "").strip().lower() in ("1", "true", "yes", "on")
