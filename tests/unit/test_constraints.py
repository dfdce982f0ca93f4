"""The constraints the dev venvs are installed under, and the check that guards them.

``scripts/setup`` installs ``.venv-airflow2`` with Airflow 2.10.5's constraints
(rebuilt in ``constraints/``) and ``.venv`` with a lock made under Airflow 3's,
then runs ``devtools/check_constraints.py`` in each venv; these tests hold the
files to what ``constraints/README.md`` says of them and the check to naming
the package that is off its pin.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.check_constraints import normalized, read_pins, report, violations

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "constraints"
CHECK = ROOT / "devtools" / "check_constraints.py"
AIRFLOW2_PYTHON = ROOT / ".venv-airflow2" / "bin" / "python"


def _versions() -> dict[str, str]:
    text = (CONSTRAINTS / "versions.sh").read_text()
    return dict(re.findall(r'^([A-Z0-9_]+)="?([^"\n]*)"?$', text, re.MULTILINE))


VERSIONS = _versions()
AIRFLOW2 = VERSIONS["AIRFLOW2_VERSION"]
AIRFLOW3 = VERSIONS["AIRFLOW3_VERSION"]
THIS_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_pins_are_read_by_normalized_name_and_comments_are_skipped() -> None:
    text = (
        "# Airflow's constraints\nFlask_Login==0.6.3\n\ncryptography == 44.0.0  # note\nnot a pin\n"
    )
    assert read_pins(text) == {"flask-login": "0.6.3", "cryptography": "44.0.0"}
    assert normalized("ruamel.yaml") == "ruamel-yaml"


def test_only_installed_packages_off_their_pin_are_violations() -> None:
    pins = {"cryptography": "44.0.0", "pendulum": "3.0.0", "absent": "1.0"}
    installed = {"cryptography": "51.0.1", "pendulum": "3.0.0", "extra": "2.0"}
    found = violations(pins, installed)
    assert found == [("cryptography", "51.0.1", "44.0.0")]
    message = report(found, "constraints/x.txt", ".venv-airflow2")
    assert ".venv-airflow2: cryptography 51.0.1 is installed, but constraints/x.txt" in message
    assert "pins cryptography==44.0.0" in message
    assert "SETUP_FORCE=1 scripts/setup" in message


def test_equal_versions_spelled_differently_are_not_violations() -> None:
    assert violations({"pkg": "1.0"}, {"pkg": "1.0.0"}) == []


def test_the_airflow2_venv_is_within_its_constraints() -> None:
    assert AIRFLOW2_PYTHON.exists(), "run scripts/setup: .venv-airflow2 is missing"
    file = CONSTRAINTS / f"airflow-{AIRFLOW2}" / f"constraints-{THIS_PYTHON}.txt"
    done = subprocess.run(
        [str(AIRFLOW2_PYTHON), str(CHECK), str(file), "--venv", ".venv-airflow2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_a_package_off_its_pin_fails_the_check_by_name(tmp_path: Path) -> None:
    """The Airflow 2 venv's real cryptography, against a file that pins another one."""
    file = tmp_path / "constraints.txt"
    file.write_text("cryptography==0.1\napache-airflow==" + AIRFLOW2 + "\n")
    done = subprocess.run(
        [str(AIRFLOW2_PYTHON), str(CHECK), str(file), "--venv", ".venv-airflow2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "pins cryptography==0.1" in done.stderr
    assert "apache-airflow" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_constraints_file_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(CHECK), str(tmp_path / "nope.txt")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "nope.txt" in done.stderr


@pytest.mark.parametrize("python", VERSIONS["AIRFLOW2_PYTHONS"].split())
def test_airflow2_constraints_exist_pin_airflow_and_say_where_they_came_from(python: str) -> None:
    text = (CONSTRAINTS / f"airflow-{AIRFLOW2}" / f"constraints-{python}.txt").read_text()
    pins = read_pins(text)
    assert pins["apache-airflow"] == AIRFLOW2
    # The hand pin this file replaces (universal-pathlib 0.3 breaks Airflow 2.10.5's
    # object-storage example), and a cryptography Airflow 2.10.5 can use.
    assert pins["universal-pathlib"] == "0.2.6"
    assert int(pins["cryptography"].split(".")[0]) < 51
    assert f"constraints-{AIRFLOW2}/constraints-{python}.txt" in text
    assert "rebuilt by scripts/constraints" in text
    assert "Do not edit by hand." in text


@pytest.mark.parametrize("python", VERSIONS["AIRFLOW3_PYTHONS"].split())
def test_the_dev_lock_keeps_airflow3s_pins_except_the_named_overrides(python: str) -> None:
    airflow3 = read_pins(
        (CONSTRAINTS / f"airflow-{AIRFLOW3}" / f"constraints-{python}.txt").read_text()
    )
    dev = read_pins((CONSTRAINTS / "dev" / f"constraints-{python}.txt").read_text())
    overrides = VERSIONS["AIRFLOW3_PINS_DAGSTER_OVERRIDES"].split()
    assert dev["apache-airflow"] == AIRFLOW3
    kept = {
        name: version
        for name, version in airflow3.items()
        if not any(fnmatch.fnmatch(name, pattern) for pattern in overrides)
    }
    off = {name: (version, dev[name]) for name, version in kept.items() if dev.get(name) != version}
    assert off == {}
    assert "dagster" in dev


def test_setup_installs_with_the_files_of_versions_sh() -> None:
    setup = (ROOT / "scripts" / "setup").read_text()
    assert "source constraints/versions.sh" in setup
    assert "constraints/airflow-$AIRFLOW2_VERSION/constraints-$py.txt" in setup
    assert "constraints/dev/constraints-$py.txt" in setup
    assert '-c "$constraints"' in setup
    assert "devtools/check_constraints.py" in setup


def test_the_docs_install_command_uses_airflows_constraints() -> None:
    """README and docs/airflow-side.md show the install with Airflow's own file."""
    for doc in (ROOT / "README.md", ROOT / "docs" / "airflow-side.md"):
        text = doc.read_text()
        blocks = re.findall(r"^```bash\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
        commands = [b for b in blocks if "airlift-component[airflow]" in b and "pip install" in b]
        assert commands, f"{doc.name} shows no install command for the Airflow side"
        words = shlex.split(commands[0].replace("\\\n", " "), comments=True)
        assert "--constraint" in words
        url = words[words.index("--constraint") + 1]
        assert url.startswith("https://raw.githubusercontent.com/apache/airflow/constraints-")
        assert any(w.startswith("apache-airflow==") for w in words)
