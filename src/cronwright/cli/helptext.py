"""What ``--help`` shows: a flag takes no value, so no type is shown after it.

Typer labels every option with its type, flags included (``--dry-run <bool>``), which reads as
if the flag wanted a value; :func:`install` drops the label of flags only.
"""

from __future__ import annotations

from typing import Any

from typer import core

_typed = core.TyperOption.display_type_rich


def _display_type(self: core.TyperOption, ctx: Any) -> str | None:
    if self.is_flag:
        return None
    return _typed(self, ctx)


def install() -> None:
    core.TyperOption.display_type_rich = _display_type  # type: ignore[method-assign]
