"""Boolean options declared so that ``--help`` shows them as plain flags.

Typer's help panel prints every option's type, so a bare ``bool`` option reads ``--json <bool>``
as if it took a value. An empty metavar leaves the type column blank for a flag, which takes none.
"""

from __future__ import annotations

from typing import Any

import typer


def flag(*declarations: str, help: str) -> Any:
    """A ``typer.Option`` for a ``bool`` parameter that ``--help`` shows as a plain flag."""
    return typer.Option(*declarations, help=help, metavar="")
