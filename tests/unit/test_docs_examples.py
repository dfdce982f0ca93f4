"""The docs cannot show an invalid file, and the generated reference cannot drift.

Every fenced ```yaml block in ``docs/*.md`` and ``README.md`` that is an
``airlift.yaml`` or a proxied-state file is run through ``airlift validate``.
A block says what it is on its first line::

    # airlift.yaml
    # proxied_state/customers_etl.yaml

and a block that shows a mistake on purpose names the message it must produce::

    # airlift.yaml (invalid: literal secret in 'password')

Unmarked blocks that look like either file (top-level ``version`` and
``instances``; or only ``tasks`` / ``proxied``) are checked as valid ones, so an
example cannot dodge the test by leaving out the marker.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from airlift_component.cli.main import main as airlift
from devtools import gen_docs

ROOT = Path(__file__).resolve().parents[2]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```yaml[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
MARKER = re.compile(
    r"^#\s*(?P<name>airlift\.yaml|proxied_state/[A-Za-z0-9_.\-]+\.ya?ml)"
    r"(\s*\(invalid:\s*(?P<expect>.+)\))?\s*$"
)


@dataclass(frozen=True)
class Example:
    doc: str
    line: int
    name: str  # airlift.yaml or proxied_state/<dag>.yaml
    text: str
    expect: str | None  # message fragment of an intentionally invalid example

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def _kind_of_unmarked(text: str) -> str | None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    if {"version", "instances"} <= set(data):
        return "airlift.yaml"
    if data and set(data) <= {"tasks", "proxied"}:
        return "proxied_state/example.yaml"
    return None


def _examples() -> list[Example]:
    found = []
    for doc in DOCS:
        if not doc.exists():
            continue
        content = doc.read_text(encoding="utf-8")
        for match in FENCE.finditer(content):
            text = match.group(1)
            line = content.count("\n", 0, match.start()) + 2
            first = text.splitlines()[0] if text.strip() else ""
            marker = MARKER.match(first)
            if marker:
                name, expect = marker.group("name"), marker.group("expect")
            else:
                kind = _kind_of_unmarked(text)
                if kind is None:
                    continue
                name, expect = kind, None
            found.append(Example(doc.name, line, name, text, expect))
    return found


EXAMPLES = _examples()


def _validate(example: Example, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    if example.name == "airlift.yaml":
        # deep enough that proxied_state_dir: ../airflow/dags/... stays inside tmp_path
        target = tmp_path / "a" / "b" / "project" / "airlift.yaml"
        target.parent.mkdir(parents=True)
        data = yaml.safe_load(example.text)
        for instance in (data or {}).get("instances") or []:
            folder = isinstance(instance, dict) and instance.get("proxied_state_dir")
            if isinstance(folder, str):
                (target.parent / folder).mkdir(parents=True, exist_ok=True)
    else:
        target = tmp_path / example.name
        target.parent.mkdir(parents=True)
    target.write_text(example.text, encoding="utf-8")
    capsys.readouterr()
    code = airlift(["validate", "--format", "json", str(target)])
    report = json.loads(capsys.readouterr().out)
    messages = [problem["message"] for problem in report["problems"]]
    assert code == (1 if messages else 0), (code, messages)
    return messages


def test_the_docs_have_examples_of_both_files() -> None:
    names = {example.name.split("/")[0] for example in EXAMPLES}
    assert names == {"airlift.yaml", "proxied_state"}
    assert any(example.expect for example in EXAMPLES)
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_docs_example_validates_as_documented(
    example: Example, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = _validate(example, tmp_path, capsys)
    if example.expect is None:
        assert messages == [], f"{example.id} shows an invalid {example.name}: {messages}"
    else:
        assert any(example.expect in message for message in messages), (
            f"{example.id} is marked invalid ({example.expect!r}) but validate said {messages}"
        )


def test_quickstart_opens_with_the_demo_and_the_example_project() -> None:
    quickstart = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    assert "scripts/demo" in quickstart
    assert "example_project/airflow/dags" in quickstart


def test_quickstart_lists_exactly_the_options_of_scripts_demo() -> None:
    from devtools.demo import build_parser

    quickstart = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    table = quickstart.split("| option | what it does |", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"`(--[a-z-]+)", table))
    accepted = {
        option
        for action in build_parser()._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    assert documented == accepted
    shell = (ROOT / "scripts" / "demo").read_text(encoding="utf-8")
    assert "--skip-setup" in shell  # scripts/demo acts on it before devtools.demo


def test_reference_is_generated_from_the_current_models() -> None:
    committed = gen_docs.REFERENCE.read_text(encoding="utf-8")
    assert committed == gen_docs.render(), "run: .venv/bin/python -m devtools.gen_docs"


def test_reference_documents_every_field_of_every_model() -> None:
    from airlift_component.config.airlift_yaml.model import AirliftFile

    reference = gen_docs.REFERENCE.read_text(encoding="utf-8")
    schema = AirliftFile.model_json_schema()
    for name, definition in schema["$defs"].items():
        assert f"## {name}\n" in reference, name
        for field in definition.get("properties", {}):
            assert f"| `{field}` |" in reference, f"{name}.{field}"


def test_every_doc_link_points_at_an_existing_file() -> None:
    link = re.compile(r"\]\((?!https?://|#)([^)#\s]+)(#[^)]*)?\)")
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for target, _anchor in link.findall(doc.read_text(encoding="utf-8")):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
