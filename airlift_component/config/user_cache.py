"""This package's folder in the user's cache, where derived files are kept (never in
the user's tree). Only ``airlift validate`` uses it: its remembered passes and the
summaries of the ``airlift.yaml`` files that passed, both in its ``validate`` folder
(:mod:`.validation.verdict_cache`, :mod:`.validation.summary_cache`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def user_cache_folder() -> Path | None:
    """This package's folder in the user's cache (``None`` when there is none)."""
    base: str | None
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Caches") if "HOME" in os.environ else None
    else:
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not Path(base).is_absolute():  # the XDG spec ignores a relative path
            base = str(Path.home() / ".cache") if "HOME" in os.environ else None
    if not base or not Path(base).is_absolute():
        return None
    return Path(base) / "airlift-component"
