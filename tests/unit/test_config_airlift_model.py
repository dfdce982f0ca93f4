"""airlift.yaml: checking (no environment) and loading (placeholders resolved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.config.airlift_yaml.load import (
    load_airlift_file,
    parse_airlift_text,
)
from airlift_component.config.airlift_yaml.model import (
    AirliftFile,
    AssetSpecModel,
    dag_asset_key,
    is_loopback_url,
)
from airlift_component.errors import ConfigError

SECRET = "Sup3r-S3cret-Value"
BASE = """\
version: 1
instances:
  - name: analytics
    url: {url}
    auth:
      type: basic
      username: ${{AIRFLOW_USER:-admin}}
      password: {password}
    mappings:
      - dag: customers
        assets: [customers/report]
        tasks:
          - task: load
            assets:
              - raw/customers
              - key: raw/addresses
                deps: [raw/customers]
"""


def _text(url: str = "https://airflow.example.com", password: str = "${AIRFLOW_PASSWORD}") -> str:
    return BASE.format(url=url, password=password)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "airlift.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_needs_no_environment() -> None:
    model, problems = parse_airlift_text(_text())
    assert problems == []
    assert model is not None
    assert model.instances[0].auth.password.get_secret_value() == "${AIRFLOW_PASSWORD}"


def test_load_resolves_placeholders_and_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, _text())
    model = load_airlift_file(path, environ={"AIRFLOW_PASSWORD": SECRET})
    auth = model.instances[0].auth
    assert (auth.username, auth.password.get_secret_value()) == ("admin", SECRET)
    assert SECRET not in repr(model)
    assert SECRET not in str(model)


def test_load_names_the_unset_variable_with_position(tmp_path: Path) -> None:
    path = _write(tmp_path, _text())
    with pytest.raises(ConfigError) as info:
        load_airlift_file(path, environ={})
    (problem,) = info.value.problems
    assert (problem.line, problem.col) == (8, 17)
    assert "AIRFLOW_PASSWORD is not set" in problem.message
    assert str(path) in str(info.value)
    # A secret gets no advice to write a default: the literal-secret rule refuses one.
    assert ":-" not in problem.message and "without a default" in problem.message


def test_an_unset_variable_outside_a_secret_may_get_a_default(tmp_path: Path) -> None:
    path = _write(tmp_path, _text(url="${AIRFLOW_URL}"))
    with pytest.raises(ConfigError) as info:
        load_airlift_file(path, environ={"AIRFLOW_PASSWORD": SECRET})
    (problem,) = info.value.problems
    assert problem.message == (
        "environment variable AIRFLOW_URL is not set: export it, or write ${AIRFLOW_URL:-default}"
    )


def test_load_reports_an_environment_value_that_does_not_fit(tmp_path: Path) -> None:
    path = _write(tmp_path, _text(url="${AIRFLOW_URL}"))
    with pytest.raises(ConfigError) as info:
        load_airlift_file(path, environ={"AIRFLOW_URL": "airflow:8080", "AIRFLOW_PASSWORD": SECRET})
    (problem,) = info.value.problems
    assert problem.line == 4
    assert "environment variable" in problem.hint
    assert SECRET not in str(info.value)


def test_defaults_and_helpers() -> None:
    model, _ = parse_airlift_text(_text())
    assert isinstance(model, AirliftFile)
    instance = model.instance("analytics")
    assert instance.api == "auto"
    assert instance.dags.include == ["*"]
    assert instance.sensor.interval_seconds == 30
    assert instance.http.verify is True
    mapping = instance.mapping_for("customers")
    assert mapping is not None and instance.mapping_for("nope") is None
    assert [a.key for a in mapping.tasks[0].assets] == ["raw/customers", "raw/addresses"]
    assert mapping.tasks[0].assets[1].deps == ["raw/customers"]
    assert AssetSpecModel(key="a/b/c").path == ["a", "b", "c"]
    assert dag_asset_key("analytics", "customers") == ["analytics", "dag", "customers"]


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://localhost", True),
        ("http://[::1]:8080/", True),
        ("http://127.10.0.3/x", True),
        ("http://localhost.example.com", False),
        ("https://127.0.0.1.nip.io", False),
        ("https://airflow.example.com", False),
    ],
)
def test_loopback_urls(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


@pytest.mark.parametrize(
    "text",
    [
        _text(password=SECRET),
        _text(password=f"[{SECRET}]"),
        _text(password=f"{{value: {SECRET}}}"),
        _text(url="https://user:" + SECRET + "@airflow.example.com", password=SECRET),
        _text().replace("password:", "pasword:").replace("${AIRFLOW_PASSWORD}", SECRET),
        _text(password=f"'{SECRET}${{'"),
        _text()
        .replace("type: basic", "type: token")
        .replace("password:", "token:")
        .replace("${AIRFLOW_PASSWORD}", SECRET),
    ],
    ids=["literal", "list", "mapping", "userinfo", "typo", "bad-placeholder", "token"],
)
def test_secrets_never_appear_in_problems(text: str) -> None:
    _, problems = parse_airlift_text(text)
    assert problems
    for problem in problems:
        assert SECRET not in problem.format()
        assert SECRET not in repr(problem)
        assert SECRET not in str(problem.as_dict())


def _url_problems(url: str) -> list[str]:
    """The literal-secret problems of an instance with ``url`` (and no auth secrets)."""
    text = f"version: 1\ninstances:\n  - name: a\n    url: {url}\n    auth: {{type: none}}\n"
    _, problems = parse_airlift_text(text, "airlift.yaml")
    return [p.format() for p in problems if p.rule == "literal-secret"]


@pytest.mark.parametrize(
    "url",
    [
        f"https://admin:{SECRET}@airflow.example.com",
        f"https://:{SECRET}@airflow.example.com",  # no user, still a password
        f"https://admin:{SECRET}%40x%2F@airflow.example.com",  # percent-encoded
        f"https://admin:{SECRET}%24%7BPW%7D@airflow.example.com",  # an encoded ${...} is text
        f"https://${{AIRFLOW_USER}}:{SECRET}@airflow.example.com",
        f"https://admin:${{PW:-{SECRET}}}@airflow.example.com",  # a default is in the file
        f"https://admin:{SECRET}${{EMPTY:-}}@airflow.example.com",
        f"https://${{USERINFO:-admin:{SECRET}}}@airflow.example.com",
        f"${{AIRFLOW_URL:-https://admin:{SECRET}@airflow.example.com}}",
        f"https://admin:{SECRET}/x@airflow.example.com",  # unencoded '/' in the password
        f"https://admin:{SECRET}#x@airflow.example.com",
        f"https://admin:{SECRET}@x@airflow.example.com",  # unencoded '@'
        f"https://admin:{SECRET}@${{AIRFLOW_HOST}}",
        f"http://127.0.0.1:{SECRET}@airflow.example.com",  # a loopback lookalike
        f"http://admin:{SECRET}@localhost.example.com:8080",
    ],
)
def test_literal_password_in_url_userinfo(url: str) -> None:
    (message,) = _url_problems(url)
    assert message.startswith("airlift.yaml:4:10: literal secret in 'url' (a password in ")
    assert "//***@" in message
    assert "move the credentials to auth:" in message
    assert "password: ${AIRFLOW_PASSWORD}" in message
    assert SECRET not in message
    assert "admin" not in message  # no part of the userinfo shows


@pytest.mark.parametrize(
    "url",
    [
        "https://${AIRFLOW_USER}:${AIRFLOW_PASSWORD}@airflow.example.com",
        "https://admin:${AIRFLOW_PASSWORD}@airflow.example.com",
        "https://admin:pw-${AIRFLOW_PASSWORD}@airflow.example.com",  # like "Bearer ${TOKEN}"
        "https://admin:${AIRFLOW_PASSWORD:-}@airflow.example.com",  # an empty default
        "https://${AIRFLOW_USERINFO}@airflow.example.com",
        "https://admin@airflow.example.com",  # a user alone is no secret
        "https://admin%3Ax@airflow.example.com",  # an encoded ':' is part of the user
        "https://admin:@airflow.example.com",  # an empty password
        "${AIRFLOW_URL}",
        "${AIRFLOW_URL:-https://airflow.example.com}",
        "https://airflow.example.com:8080/team@x/",  # an '@' in the path
        "https://airflow.example.com:${PORT}/a@b",
        "http://admin:admin@127.0.0.1:8080",  # loopback, as for the auth fields
        "http://admin:admin@localhost:8080/",
        "http://admin:admin@[::1]:8080",
    ],
)
def test_url_userinfo_that_is_no_literal_secret(url: str) -> None:
    assert _url_problems(url) == []


def test_url_userinfo_counts_for_loopback_and_shows_in_no_message() -> None:
    def auth_problems(url: str) -> list[str]:
        _, problems = parse_airlift_text(_text(url=url, password=SECRET))
        return [p.format() for p in problems if p.rule == "literal-secret"]

    # On loopback the userinfo does not hide the host: literal secrets are tolerated.
    assert auth_problems("http://admin:admin@127.0.0.1:8080") == []
    # A user alone is allowed, but the literal password beside it is not; neither shows.
    (message,) = auth_problems("https://admin@airflow.example.com")
    assert "literal secret in 'password' for https://***@airflow.example.com" in message
    url_problem, password_problem = auth_problems("https://admin:pw@airflow.example.com")
    assert ":4:10: literal secret in 'url'" in url_problem
    assert ":8:17: literal secret in 'password'" in password_problem


def test_url_with_a_literal_password_is_refused_at_load_too(tmp_path: Path) -> None:
    path = _write(tmp_path, _text(url=f"https://admin:{SECRET}@airflow.example.com"))
    with pytest.raises(ConfigError) as info:
        load_airlift_file(path, environ={"AIRFLOW_PASSWORD": "x"})
    assert "literal secret in 'url'" in str(info.value)
    assert SECRET not in str(info.value)


def test_url_userinfo_from_the_environment_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, _text(url="${AIRFLOW_URL}"))
    env = {"AIRFLOW_URL": f"https://admin:{SECRET}@airflow.example.com", "AIRFLOW_PASSWORD": "x"}
    model = load_airlift_file(path, environ=env)
    assert model.instances[0].url == env["AIRFLOW_URL"]


def test_all_problems_in_one_pass() -> None:
    text = _text(password=SECRET).replace("name: analytics", "name: Analytics") + "    extra: 1\n"
    _, problems = parse_airlift_text(text)
    messages = [p.message for p in problems]
    assert any("'Analytics' is not a valid value" in m for m in messages)
    assert any("unknown key 'extra'" in m for m in messages)
    assert any("literal secret" in m for m in messages)
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_unknown_key_suggests_the_close_one() -> None:
    _, problems = parse_airlift_text(_text().replace("mappings:", "mapings:"))
    (problem,) = problems
    assert problem.format().endswith("unknown key 'mapings' (did you mean 'mappings'?)")
    assert (problem.line, problem.col) == (9, 5)


def test_credentials_in_a_bad_url_are_masked() -> None:
    _, problems = parse_airlift_text(_text(url=f"'https://user:{SECRET}@bad host'"))
    secret, pattern = problems  # at the same value; the rules' problem first
    assert "is not a valid value" in pattern.message
    assert "literal secret in 'url'" in secret.message
    for problem in problems:
        assert "//***@" in problem.message
        assert SECRET not in problem.format()
