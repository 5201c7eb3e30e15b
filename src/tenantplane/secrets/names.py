"""What a secret may be called: an environment-variable name that does not change how a script starts.

Secrets reach runbook scripts as variables of the same name; the sandbox checks again when it builds the environment.
"""

from __future__ import annotations

import re

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED_NAMES = frozenset({"PATH", "HOME", "LANG", "TMPDIR", "IFS", "ENV", "CDPATH", "GLOBIGNORE", "PS4"})
_RESERVED_PREFIXES = ("TP_", "LD_", "BASH", "PYTHON", "LC_", "POSIXLY")


def is_reserved_env_name(name: str) -> bool:
    """Names a secret may not take: they would change how bash or Python starts, or shadow our own TP_*."""
    return name in _RESERVED_NAMES or name.startswith(_RESERVED_PREFIXES)
