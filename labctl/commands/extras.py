"""Optional parts of labctl that need an extra's libraries (`pip install 'labctl-ionics[X]'`)."""

from __future__ import annotations

import importlib.util

from labctl.errors import LabctlError


def require_extra(extra: str, modules: tuple[str, ...], what: str) -> None:
    """LabctlError naming the extra to install when `modules` are missing (the base
    install runs recipes headless)."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise LabctlError(f"{what} needs {' and '.join(missing)}, which the base install "
                          f"leaves out: pip install 'labctl-ionics[{extra}]'")
