"""A password in an instance URL never shows, whatever characters it holds: not when
the URL is shown, not in a load error, not when the HTTP client refuses the URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlift_component.cli.main import main
from airlift_component.config.airlift_yaml.load import load_airlift_file
from airlift_component.errors import ConfigError
from airlift_component.redact import redact_url

#: Characters a careless password holds, URL delimiters included.
_CHARS = st.sampled_from(list("abcXYZ019 !#$%&'()*+,/:;=?@[]~-._"))
PASSWORDS = st.text(_CHARS, min_size=1, max_size=20).map(lambda s: "Pw" + s + "Zq")


@settings(max_examples=400, deadline=None)
@given(password=PASSWORDS, user=st.sampled_from(["admin", "", "a b"]))
def test_redact_url_drops_any_password(password: str, user: str) -> None:
    for url in (
        f"http://{user}:{password}@airflow.example.com:8080/api",
        f"https://{user}:{password}@10.0.0.1",
    ):
        shown = redact_url(url)
        # Its markers begin and end the password: neither end of it is left.
        assert "Pw" not in shown and "Zq" not in shown


@pytest.mark.parametrize("password", ["sec ret#frag", "ab/cdSECRET", "x?y@z", "p%zz"])
def test_a_url_from_the_environment_is_never_shown_in_a_load_error(
    tmp_path: Path, password: str
) -> None:
    path = tmp_path / "airlift.yaml"
    path.write_text(
        "version: 1\ninstances:\n  - name: a\n"
        "    url: http://admin:${AIRFLOW_PASSWORD}@airflow.example.com:8080\n"
        "    auth: {type: none}\n"
    )
    try:
        load_airlift_file(path, environ={"AIRFLOW_PASSWORD": password})
    except ConfigError as exc:
        text = str(exc)
        assert password not in text and password[:2] + password[3:] not in text
        assert "the value from the environment" in text or "url" in text


@pytest.mark.parametrize("password", ["sec ret#frag", "ab/cdSECRET", "x?y@z"])
def test_refresh_with_an_unusable_url_says_so_in_one_line_without_the_password(
    tmp_path: Path,
    password: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "airlift.yaml"
    path.write_text(
        "version: 1\ninstances:\n  - name: a\n"
        "    url: http://admin:${AIRFLOW_PASSWORD}@127.0.0.1:9\n"
        "    auth: {type: none}\n"
    )
    monkeypatch.setenv("AIRFLOW_PASSWORD", password)
    assert main(["refresh", "--config", str(path)]) != 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    for part in password.replace("#", " ").replace("/", " ").replace("?", " ").split():
        if len(part) > 2:
            assert part not in out + err, part
