"""``${VAR}`` and ``${VAR:-default}`` placeholders in airlift.yaml string values.

Placeholders are checked for syntax when a file is validated and resolved from
the environment only when the file is loaded for use, so `airlift validate`
works in CI without any secret. ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?\Z", re.DOTALL)


class PlaceholderError(ValueError):
    """A placeholder is malformed, or names an unset variable at load time."""


@dataclass(frozen=True)
class Placeholder:
    variable: str
    default: str | None


def placeholders(value: str) -> list[Placeholder]:
    """Every placeholder in ``value``; raises :class:`PlaceholderError` on bad syntax."""
    found: list[Placeholder] = []
    for match in _TOKEN.finditer(value):
        token = match.group(0)
        if token == "$${":
            continue
        if match.group(1) is None:
            raise PlaceholderError("unclosed '${' placeholder: add the closing '}'")
        body = _BODY.match(match.group(1))
        if body is None:
            raise PlaceholderError(
                f"bad placeholder '{token}': use ${{NAME}} or ${{NAME:-default}} where NAME is "
                "letters, digits and _"
            )
        found.append(Placeholder(body.group(1), body.group(2)))
    return found


def has_placeholder(value: str) -> bool:
    """True when ``value`` takes at least part of its text from the environment."""
    try:
        return bool(placeholders(value))
    except PlaceholderError:
        return False


def resolve(value: str, environ: Mapping[str, str], *, secret: bool = False) -> str:
    """Replace placeholders with values from ``environ``.

    An unset variable without a default raises :class:`PlaceholderError` naming the
    variable (never any value); for a ``secret`` field it does not suggest a default,
    which the literal-secret rule refuses.
    """
    placeholders(value)

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        body = _BODY.match(match.group(1))
        assert body is not None
        name, default = body.group(1), body.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        if secret:
            raise PlaceholderError(
                f"environment variable {name} is not set: export it where this runs "
                "(a secret is read from the environment, without a default)"
            )
        raise PlaceholderError(
            f"environment variable {name} is not set: export it, or write ${{{name}:-default}}"
        )

    return _TOKEN.sub(substitute, value)
