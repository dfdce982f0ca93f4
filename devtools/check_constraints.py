"""Check that a virtual environment holds the versions its constraints file pins.

``scripts/setup`` runs this with each venv's own interpreter after every setup
(also when the venv is up to date), so a package moved outside the constraints,
by hand or by another tool, fails the setup by name instead of failing an e2e
test later with a 500 from Airflow::

    .venv-airflow2/bin/python devtools/check_constraints.py \\
        constraints/airflow-2.10.5/constraints-3.11.txt --venv .venv-airflow2

Only packages that are installed are checked: a constraints file bounds what
may be installed, it does not ask for everything it names. Standard library
only, since it runs in the Airflow 2 venv, which has none of the dev tools.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


def normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them (``Flask_Login`` is ``flask-login``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a constraints file, by normalized name."""
    pins: dict[str, str] = {}
    for line in text.splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[normalized(match.group(1))] = match.group(2)
    return pins


def installed_versions() -> dict[str, str]:
    """Every distribution this interpreter sees, by normalized name."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(normalized(name), dist.version)
    return found


def _same_version(installed: str, pinned: str) -> bool:
    if installed == pinned:
        return True
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:
        return False
    try:
        return Version(installed) == Version(pinned)
    except InvalidVersion:
        return False


def violations(pins: Mapping[str, str], installed: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(name, installed version, pinned version) for each installed package off its pin."""
    return [
        (name, installed[name], pinned)
        for name, pinned in sorted(pins.items())
        if name in installed and not _same_version(installed[name], pinned)
    ]


def report(found: Iterable[tuple[str, str, str]], constraints: str, venv: str) -> str:
    """The lines that say which package is off its pin and how to put it back."""
    lines = [
        f"{venv}: {name} {have} is installed, but {constraints} pins {name}=={want}"
        for name, have, want in found
    ]
    lines.append(
        f"{venv} is outside its constraints: reinstall it with SETUP_FORCE=1 scripts/setup"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "constraints", type=Path, help="the constraints file the venv was built with"
    )
    parser.add_argument("--venv", default=sys.prefix, help="the venv's name in messages")
    args = parser.parse_args(argv)
    try:
        pins = read_pins(args.constraints.read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"cannot read {args.constraints}: {exc.strerror}", file=sys.stderr)
        return 2
    found = violations(pins, installed_versions())
    if found:
        print(report(found, str(args.constraints), args.venv), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
