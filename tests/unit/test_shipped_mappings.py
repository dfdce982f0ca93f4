"""The checked mappings a refresh ships inside the Airflow state (config/airlift_yaml/shipped):
the build from them equals the full load, the state never holds a setting of
airlift.yaml (so never a secret), placeholders are resolved at each load with
errors located in the file, and a changed file, changed checking code or a damaged
shipped form falls back to the full read."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from component_fixtures import AIRLIFT_YAML, airflows, factory, write_project
from test_mapped_dags import CORPUS, ENV, _same_as_full, _specs

from airlift_component.airflow_state.state_file import (
    AirliftStateFile,
    default_state_file,
    read_state_file,
)
from airlift_component.component.defs_builder import build_defs, defs_from_state
from airlift_component.config.airlift_yaml import checked_form
from airlift_component.config.airlift_yaml import load as airlift_load
from airlift_component.config.airlift_yaml.checked_form import CheckedDocument, stored_form
from airlift_component.config.airlift_yaml.load import (
    load_airlift_file,
    load_for_build,
    load_for_refresh,
)
from airlift_component.config.yaml.read import parse_yaml_text
from airlift_component.errors import ConfigError
from tests.unit.airlift_yaml_texts import PROD_HEAD, prod_from_env

SOURCES = sorted(CORPUS.glob("*/airlift.y*ml"))
#: Corpus files whose layout the cut does not take (nothing is shipped for them).
NOT_SHIPPED = {"anchors_and_merges"}


def _settings_strings(path: Path) -> list[str]:
    """Every string of every instance's settings (not its mappings), as written."""
    data = parse_yaml_text(path.read_text(), str(path), what="airlift.yaml").data
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for instance in data["instances"]:
        walk({k: v for k, v in instance.items() if k not in ("name", "mappings")})
    return found


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.parent.name)
def test_the_shipped_mappings_build_what_the_full_load_builds(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / source.name
    path.write_text(source.read_text())
    full = load_airlift_file(path, ENV)
    model, shipped = load_for_refresh(path, ENV)
    assert model == full
    if source.parent.name in NOT_SHIPPED or "mappings:" not in source.read_text():
        assert shipped is None  # nothing to ship, or a layout the cut does not take
        return
    assert shipped is not None
    assert set(shipped) == {"digest", "cuts", "mappings", "seal"}
    # Nothing of the settings travels: no url, no auth value, no literal secret.
    text = json.dumps(shipped)
    assert not [s for s in _settings_strings(path) if len(s) > 3 and s in text]
    with monkeypatch.context() as patched:
        patched.setattr(airlift_load, "_load_text", _refused)
        built = load_for_build(path, ENV, shipped=shipped)
    _same_as_full(built, full)


def _refused(*args: object, **kwargs: object) -> object:
    raise AssertionError("airlift.yaml was read in full")


def test_a_literal_loopback_password_never_reaches_the_state(tmp_path: Path) -> None:
    text = AIRLIFT_YAML.replace(
        "    auth: {type: none}\n    sensor",
        "    auth: {type: basic, username: ann, password: Sw0rdf1sh-local}\n    sensor",
        1,
    )
    path = write_project(tmp_path, text)
    built = build_defs(path, refresh="if_missing", client_factory=factory(airflows()))
    raw = default_state_file(path).read_bytes()
    assert b"Sw0rdf1sh-local" not in raw
    state = read_state_file(default_state_file(path))
    assert state is not None and state.airlift_yaml is not None
    again = build_defs(path, refresh="never")
    assert _specs(again) == _specs(built)


def test_an_airlift_yaml_edited_after_the_refresh_is_read_as_it_is_now(tmp_path: Path) -> None:
    path = write_project(tmp_path)
    _, shipped = load_for_refresh(path, ENV)
    assert shipped is not None
    path.write_text(AIRLIFT_YAML.replace("analytics/published", "analytics/released"))
    built = load_for_build(path, ENV, shipped=shipped)
    _same_as_full(built, load_airlift_file(path, ENV))
    publish = built.mapped["prod"].get("customers")
    assert publish is not None
    assert publish.tasks[2].assets[0].key == "analytics/released"


def _damaged(shipped: dict[str, Any], how: str) -> Any:
    copy = json.loads(json.dumps(shipped))
    if how == "digest":
        copy["digest"] = "0" * 64
    elif how == "cut past the end":
        copy["cuts"][0][1] = 10**9
    elif how == "cut not a number":
        copy["cuts"][0][0] = "3"
    elif how == "cuts overlap":
        copy["cuts"] = [[0, 50], [10, 60]]
    elif how == "mapping text":
        copy["mappings"]["0"]["texts"][0] = '{"dag":"customers","tasks":[{"task":1}]}'
    elif how == "a valid mapping text changed":  # the models would pass it: the seal would not
        text = copy["mappings"]["0"]["texts"][0]
        copy["mappings"]["0"]["texts"][0] = text.replace("raw/customers", "raw/elsewhere")
    elif how == "a cut moved":
        copy["cuts"][0][0] -= 1
    elif how == "seal":
        del copy["seal"]
    elif how == "mappings not a table":
        copy["mappings"] = ["x"]
    elif how == "held out of range":
        copy["mappings"]["0"]["held"] = [7]
    elif how == "not a table":
        copy = ["digest"]
    return copy


@pytest.mark.parametrize(
    "how",
    [
        "digest",
        "cut past the end",
        "cut not a number",
        "cuts overlap",
        "mapping text",
        "a valid mapping text changed",
        "a cut moved",
        "seal",
        "mappings not a table",
        "held out of range",
        "not a table",
    ],
)
def test_a_damaged_shipped_form_loads_as_without_it(tmp_path: Path, how: str) -> None:
    path = write_project(tmp_path)
    _, shipped = load_for_refresh(path, ENV)
    assert shipped is not None
    _same_as_full(
        load_for_build(path, ENV, shipped=_damaged(shipped, how)), load_airlift_file(path, ENV)
    )


LAYOUTS = {
    "mappings first in its instance": """\
version: 1
instances:
  - mappings:
      - dag: a
        assets: [x/a]
    name: prod
    url: http://127.0.0.1:8080
    auth: {type: none}
""",
    "flow style instance": """\
version: 1
instances:
  - {name: prod, url: "http://127.0.0.1:8080", auth: {type: none}, mappings: [{dag: a, assets: [x/a]}]}
""",
    "a sequence at its key's indentation, comments and a second instance": PROD_HEAD
    + """\
    mappings:
    - dag: a
      # a comment inside
      assets: [x/a]

    # a comment after
  - name: staging
    url: http://127.0.0.1:8081
    auth: {type: none}
    mappings: [{dag: b, assets: [y/b]}]
    sensor: {interval_seconds: 5}
""",
    "a metadata key named mappings": PROD_HEAD
    + """\
    mappings:
      - dag: a
        assets:
          - key: x/a
            metadata:
              mappings: kept
""",
    "a placeholder in one instance's mappings": PROD_HEAD
    + """\
    mappings:
      - dag: a
        assets: [{key: x/a, description: "${DESCRIPTION:-none}"}]
  - name: staging
    url: http://127.0.0.1:8081
    auth: {type: none}
    mappings:
      - dag: b
        assets: [y/b]
""",
}


@pytest.mark.parametrize("text", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_every_layout_loads_the_same_shipped_or_not(tmp_path: Path, text: str) -> None:
    path = write_project(tmp_path, text)
    full = load_airlift_file(path, ENV)
    model, shipped = load_for_refresh(path, ENV)
    assert model == full
    if shipped is not None:
        _same_as_full(load_for_build(path, ENV, shipped=shipped), full)


def test_the_usual_layouts_are_shipped(tmp_path: Path) -> None:
    for name in ("a sequence at its key's indentation, comments and a second instance",):
        path = write_project(tmp_path, LAYOUTS[name])
        assert load_for_refresh(path, ENV)[1] is not None, name
    path = write_project(tmp_path, LAYOUTS["mappings first in its instance"])
    assert load_for_refresh(path, ENV)[1] is None


def test_a_state_written_before_mappings_were_shipped_still_builds_the_same(tmp_path: Path) -> None:
    path = write_project(tmp_path)
    build_defs(path, refresh="if_missing", client_factory=factory(airflows()))
    target = default_state_file(path)
    document = json.loads(target.read_bytes())
    assert "airlift_yaml" in document
    del document["airlift_yaml"]  # as every state written before it
    old = AirliftStateFile.from_bytes(json.dumps(document).encode(), str(target))
    assert old.airlift_yaml is None
    new = read_state_file(target)
    assert new is not None
    assert _specs(defs_from_state(path, old, where="test")) == _specs(
        defs_from_state(path, new, where="test")
    )


def test_the_state_with_shipped_mappings_round_trips(tmp_path: Path) -> None:
    path = write_project(tmp_path)
    _, shipped = load_for_refresh(path, ENV)
    when = datetime(2026, 12, 7, tzinfo=timezone.utc)
    state = AirliftStateFile(fetched_at=when, instances={}, airlift_yaml=shipped)
    assert AirliftStateFile.from_bytes(state.to_bytes(), "test") == state


def test_the_build_from_a_matching_state_reads_no_mapping_from_airlift_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_project(tmp_path)
    first = build_defs(path, refresh="if_missing", client_factory=factory(airflows()))
    monkeypatch.setattr(airlift_load, "_load_text", _refused)
    assert _specs(build_defs(path, refresh="never")) == _specs(first)


# What the user's checked cache promised before the state carried the checked form
# (that cache is gone), held for the shipped form.
SETTINGS_FROM_ENV = prod_from_env("from the lake")
SECRETS = {"AIRFLOW_USER": "ann-from-env", "AIRFLOW_PASSWORD": "pw-123-from-env"}


def _shipped(tmp_path: Path, text: str = SETTINGS_FROM_ENV) -> tuple[Path, dict[str, Any]]:
    path = write_project(tmp_path, text)
    _, shipped = load_for_refresh(path, SECRETS)
    assert shipped is not None
    return path, shipped


def test_placeholders_are_resolved_from_the_environment_of_the_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, shipped = _shipped(tmp_path)
    env = {**SECRETS, "AIRFLOW_USER": "bob", "AIRFLOW_URL": "https://b.example"}
    monkeypatch.setattr(airlift_load, "_load_text", _refused)
    prod = load_for_build(path, env, shipped=shipped).model.instance("prod")
    assert prod.auth.username == "bob"  # type: ignore[union-attr]
    assert prod.url == "https://b.example"


def test_no_value_from_the_environment_and_no_placeholder_is_shipped(tmp_path: Path) -> None:
    _, shipped = _shipped(tmp_path)
    text = json.dumps(shipped)
    assert "from-env" not in text and "${" not in text and "auth" not in text


def test_an_unset_variable_still_reports_file_line_and_column(tmp_path: Path) -> None:
    path, shipped = _shipped(tmp_path)
    with pytest.raises(ConfigError) as raised:
        load_for_build(path, {"AIRFLOW_USER": "ann"}, shipped=shipped)
    assert f"{path}:8:" in str(raised.value)
    assert "AIRFLOW_PASSWORD" in str(raised.value)


def test_an_environment_value_that_does_not_fit_reports_its_position(tmp_path: Path) -> None:
    path, shipped = _shipped(tmp_path)
    with pytest.raises(ConfigError) as raised:
        load_for_build(path, {**SECRETS, "AIRFLOW_URL": "not a url"}, shipped=shipped)
    assert f"{path}:4:" in str(raised.value)
    assert "environment variable" in str(raised.value)


def test_changed_checking_code_reads_the_file_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, shipped = _shipped(tmp_path)
    monkeypatch.setattr(checked_form, "checking_code_fingerprint", lambda: "edited rules")
    reads: list[str] = []
    real = airlift_load._load_text

    def counting(text: str, where: str, *args: Any, **kwargs: Any) -> Any:
        reads.append(where)
        return real(text, where, *args, **kwargs)

    monkeypatch.setattr(airlift_load, "_load_text", counting)
    built = load_for_build(path, SECRETS, shipped=shipped)
    assert reads == [str(path)]
    _same_as_full(built, load_airlift_file(path, SECRETS))


def test_unreadable_checking_code_ships_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checked_form, "checking_code_fingerprint", lambda: "")
    path = write_project(tmp_path, SETTINGS_FROM_ENV)
    assert load_for_refresh(path, SECRETS) == (load_airlift_file(path, SECRETS), None)


def test_the_fingerprint_covers_the_rules_and_models_source() -> None:
    # No version number kept by hand: the key is the checking code's own bytes.
    config = Path(checked_form.__file__).resolve().parents[1]
    covered = {
        source.relative_to(config).as_posix()
        for name in checked_form._CHECKING_CODE
        for source in (
            sorted((config / name).glob("*.py")) if (config / name).is_dir() else [config / name]
        )
    }
    assert {"airlift_yaml/rules.py", "airlift_yaml/model.py", "yaml/events.py"} <= covered
    assert all((config / name).exists() for name in checked_form._CHECKING_CODE)
    assert len(checked_form.checking_code_fingerprint()) == 64


def test_a_file_with_problems_is_refused_by_the_refresh(tmp_path: Path) -> None:
    path = write_project(tmp_path, SETTINGS_FROM_ENV.replace("version: 1", "version: 2"))
    with pytest.raises(ConfigError):
        load_for_refresh(path, SECRETS)


def test_a_document_json_cannot_hold_exactly_is_not_shipped() -> None:
    assert stored_form(CheckedDocument({"when": datetime(2026, 1, 1)}, [])) is None
    assert stored_form(CheckedDocument({"keys": {1: "one"}}, [])) is None
    kept = CheckedDocument({"keys": {"1": "one"}}, [("keys", "1")])
    assert stored_form(kept) == kept


def test_mappings_with_a_placeholder_are_not_shipped(tmp_path: Path) -> None:
    path = write_project(
        tmp_path, SETTINGS_FROM_ENV.replace("from the lake", '"from ${SOURCE:-the lake}"')
    )
    assert load_for_refresh(path, SECRETS)[1] is None


LOADER = "airlift_component.config.airlift_yaml.load"


def _read_in_full_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOADER and "read in full" in r.getMessage()]


def test_a_load_of_an_edited_airlift_yaml_says_once_that_a_refresh_makes_it_fast(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = SETTINGS_FROM_ENV.replace(
        "password: ${AIRFLOW_PASSWORD}", "password: Sw0rdf1sh-local"
    ).replace("${AIRFLOW_URL:-https://airflow.example.com}", "http://127.0.0.1:8080")
    path, shipped = _shipped(tmp_path, text)
    path.write_text(text + "# edited\n")
    with caplog.at_level(logging.INFO, "airlift_component"):
        load_for_build(path, SECRETS, shipped=shipped)
    (line,) = _read_in_full_lines(caplog)
    assert line.levelno == logging.INFO
    message = line.getMessage()
    assert message.startswith(f"{path}: ")
    assert "shipped mappings are for another version of this file" in message
    assert "`airlift refresh`" in message and "`dg utils refresh-defs-state`" in message
    assert "makes loads fast again" in message
    for secret in ("Sw0rdf1sh-local", *SECRETS.values()):
        assert secret not in caplog.text


@pytest.mark.parametrize("shipped_form", ["matching", "none", "damaged"])
def test_no_such_line_when_the_digest_matches_or_nothing_was_shipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, shipped_form: str
) -> None:
    path, shipped = _shipped(tmp_path)
    given: Any = {
        "matching": shipped,
        "none": None,
        "damaged": {**shipped, "cuts": "not a list"},
    }[shipped_form]
    with caplog.at_level(logging.DEBUG, "airlift_component"):
        load_for_build(path, SECRETS, shipped=given)
    assert _read_in_full_lines(caplog) == []
    assert not [r for r in caplog.records if r.name == LOADER]


def test_changed_checking_code_logs_the_same_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path, shipped = _shipped(tmp_path)
    monkeypatch.setattr(checked_form, "checking_code_fingerprint", lambda: "edited rules")
    with caplog.at_level(logging.INFO, "airlift_component"):
        load_for_build(path, SECRETS, shipped=shipped)
    assert len(_read_in_full_lines(caplog)) == 1
