"""Recipes: what a run does, as validated, ready-to-run steps.

(The TOML reader follows.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Mapping

from labctl.runcontext import Position


@dataclass(frozen=True)
class Step:
    """One protocol run at one recipe position."""

    position: Position
    protocol: ModuleType     # a protocols.* module: KIND, Params, run(ctx, params)
    params: Any              # its Params, validated

    @property
    def path(self) -> str:
        return self.position.path

    @property
    def kind(self) -> str:
        return self.protocol.KIND


@dataclass(frozen=True)
class Recipe:
    name: str
    steps: tuple[Step, ...]
    operator: str = ""
    sample: Mapping[str, Any] = field(default_factory=dict)
    source: str = "<recipe>"
    text: str = field(default="", repr=False)
