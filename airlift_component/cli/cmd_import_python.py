"""``airlift import-python definitions.py``: a dagster-airlift module becomes ``airlift.yaml``.

The module is read by its syntax, never imported: neither Dagster nor
dagster-airlift is needed. The new file is checked with the same rules as
``airlift validate`` before it is written, written atomically and never over an
existing file. Secrets are never written: each becomes a ``${VAR}``
placeholder, and the command names every variable the file reads. What could
not be translated is listed as ``file:line: what and why``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "import-python"
HELP = "write airlift.yaml from a dagster-airlift definitions module (read, never imported)"

_EPILOG = """\
Translated: build_defs_from_airflow_instance, AirflowInstance with basic, token,
MWAA or your own auth backend, assets_with_task_mappings, assets_with_dag_mappings,
dag_defs / task_defs, load_airflow_dag_asset_specs, build_airflow_polling_sensor,
Definitions.merge of several instances, dag_selector_fn and retrieval_filter of
simple forms. See docs/from-dagster-airlift.md.

exit codes: 0 written, everything translated; 1 written with findings listed, or
nothing written (the reason on stderr); 2 usage."""


def register(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument("module_file", metavar="FILE", type=Path, help="the definitions module")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("airlift.yaml"),
        metavar="PATH",
        help="the file to write (default: ./airlift.yaml; never overwritten)",
    )
    parser.add_argument(
        "--module",
        metavar="DOTTED",
        help="the module's import name for code: references (default: from the __init__.py "
        "folders around FILE)",
    )


def run(args: argparse.Namespace) -> int:
    """Translate, check, write; print the placeholders and the findings."""
    from airlift_component.config.airlift_yaml.load import parse_airlift_text
    from airlift_component.config.atomic_write import create_exclusive
    from airlift_component.config.problems import one_line
    from airlift_component.import_python import (
        ImportPythonError,
        import_definitions,
        render_airlift_yaml,
    )

    out: Path = args.out
    if out.exists():
        raise ImportPythonError(
            f"{out}: exists; import-python never overwrites: choose another --out or move it away"
        )
    result = import_definitions(args.module_file, args.module)
    text, placeholders = render_airlift_yaml(result)
    _, problems = parse_airlift_text(text, str(out))
    if problems:  # a translation bug: say so rather than write a file validate refuses
        for problem in problems:
            print(problem.format(), file=sys.stderr)
        raise ImportPythonError(
            f"{out}: not written: the translation of {args.module_file} does not pass "
            "airlift validate (the problems are above); please report it"
        )
    try:
        create_exclusive(out, text.encode())
    except FileExistsError:
        raise ImportPythonError(f"{out}: appeared while writing; not overwritten") from None
    except OSError as exc:
        raise ImportPythonError(f"{out}: cannot write: {exc.strerror or exc}") from None
    for finding in result.findings:
        print(finding.format(), file=sys.stderr)
    names = ", ".join(f"{p.name} ({p.what})" for p in placeholders)
    print(one_line(f"wrote {out}: {len(result.instances)} instance(s)"))
    if placeholders:
        print(one_line(f"set before loading it: {names}"))
    if result.findings:
        print(
            f"{len(result.findings)} finding(s) above: what was not carried over as written, and why"
        )
        return 1
    return 0
