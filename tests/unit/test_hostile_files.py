"""Hostile files that cannot live in the corpus: FIFOs, devices, huge files, odd names,
folders that cannot be read or written. Each gets one clear line and exit 1, at once.

The corpus (tests/corpus/bad) holds the hostile *contents*: alias and merge-key
bombs, duplicate ``.nan`` keys, control characters, nesting too deep.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from airlift_component.cli.main import main
from airlift_component.config.yaml.read import MAX_FILE_BYTES

TASKS = "tasks:\n  - id: load\n    proxied: false\n"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text


def test_fifo_is_refused_without_waiting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fifo = tmp_path / "airlift.yaml"
    os.mkfifo(fifo)
    code, out, err = _run(capsys, "validate", str(fifo))
    assert code == 1
    assert out.splitlines()[0] == (
        f"{fifo}:1:1: is not a regular file (a FIFO, device or socket) "
        "(give the path of airlift.yaml)"
    )
    _no_traceback(out, err)


def test_fifo_in_a_proxied_state_folder_is_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "proxied_state"
    folder.mkdir()
    os.mkfifo(folder / "dag.yaml")
    code, out, _ = _run(capsys, "validate", str(tmp_path))
    assert code == 1
    assert "dag.yaml:1:1: is not a regular file" in out


def test_link_to_dev_zero_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    link = tmp_path / "airlift.yaml"
    link.symlink_to("/dev/zero")
    code, out, err = _run(capsys, "validate", str(link))
    assert code == 1
    assert f"{link}:1:1: is not a regular file" in out
    _no_traceback(out, err)


def test_file_over_the_size_limit_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "proxied_state" / "big.yaml"
    path.parent.mkdir()
    with path.open("wb") as handle:  # sparse: no disk or memory spent
        handle.truncate(MAX_FILE_BYTES + 1)
    code, out, _ = _run(capsys, "validate", str(path))
    assert code == 1
    assert f"{path}:1:1: file is too big ({MAX_FILE_BYTES + 1:,} bytes; at most" in out


def test_proxy_refuses_a_fifo_state_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    os.mkfifo(tmp_path / "dag.yaml")
    code, out, err = _run(capsys, "proxy", "on", "dag", "load", "--dir", str(tmp_path))
    assert code == 1
    _no_traceback(out, err)


def test_path_with_a_newline_stays_on_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "x\n/tmp/forged.yaml:1:1: fake" / "proxied_state"
    folder.mkdir(parents=True)
    (folder / "dag.yaml").write_text("proxied: maybe\n")
    code, out, _ = _run(capsys, "validate", str(tmp_path))
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2  # one problem, one summary
    assert "x\\n/tmp/forged.yaml:1:1: fake/proxied_state/dag.yaml:1:10:" in lines[0]


def test_control_character_in_a_value_stays_on_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "proxied_state" / "dag.yaml"
    path.parent.mkdir()
    path.write_text('proxied: "yes\\nno\\u2028"\n')
    code, out, _ = _run(capsys, "validate", str(path))
    assert code == 1
    assert len(out.splitlines()) == 2


def test_tab_after_colon_is_accepted_by_validate_and_proxy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "dag.yaml"
    path.write_bytes(b"tasks:\n  - id:\textract\n    proxied:\tfalse\n")
    assert _run(capsys, "validate", str(path))[0] == 0
    code, _out, err = _run(capsys, "proxy", "on", "dag", "extract", "--dir", str(tmp_path))
    assert code == 0, err
    assert path.read_bytes() == b"tasks:\n  - id:\textract\n    proxied:\ttrue\n"


def test_duplicate_nan_keys_refused_by_proxy_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "dag.yaml"
    path.write_text(TASKS + ".nan: 1\n.nan: 2\n")
    code, out, err = _run(capsys, "proxy", "on", "dag", "load", "--dir", str(tmp_path))
    assert code == 1
    assert f"{path}:5:1: duplicate key nan (first defined on line 4)" in err
    _no_traceback(out, err)


def test_missing_path_is_a_problem_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """docs/pre-commit.md says so: a path that does not exist is a problem, exit 1."""
    missing = tmp_path / "airlift.yaml"
    code, out, _ = _run(capsys, "validate", str(missing))
    assert code == 1
    assert out.splitlines()[0] == f"{missing}:1:1: no such file or folder (check the path)"
    docs = (Path(__file__).parents[2] / "docs" / "pre-commit.md").read_text(encoding="utf-8")
    assert "a path that does not exist is a problem too (exit `1`)" in docs


# --- permissions: modes apply to the CLI even when the tests run as root ---------


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder any user can reach (pytest's tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="airlift-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for root, dirs, _ in os.walk(folder):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
        shutil.rmtree(folder)


def _airlift_as_user(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process that file modes apply to. Root ignores modes through
    its DAC-override capabilities, so as root the child drops them and stays root:
    unlike switching to ``nobody``, it can still read a checkout in a private folder."""
    command = [sys.executable, "-m", "airlift_component", *argv]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: permissions cannot be tested")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "HOME": str(cwd)},
    )


def test_proxy_in_a_folder_it_cannot_write(shared_tmp: Path) -> None:
    folder = shared_tmp / "proxied_state"
    folder.mkdir()
    (folder / "dag.yaml").write_text(TASKS)
    (folder / "dag.yaml").chmod(0o644)
    folder.chmod(0o555)
    result = _airlift_as_user(shared_tmp, "proxy", "on", "dag", "load", "--dir", "proxied_state")
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "airlift proxy: proxied_state/dag.yaml: cannot update the file: Permission denied; "
        "check the permissions of the file and its folder, and free disk space "
        "(the file was not changed)"
    ]
    assert (folder / "dag.yaml").read_text() == TASKS
    created = _airlift_as_user(
        shared_tmp, "proxy", "on", "new", "load", "--create", "--dir", "proxied_state"
    )
    assert created.returncode == 1
    assert "proxied_state/new.yaml: cannot create the file: Permission denied" in created.stderr
    assert "Traceback" not in created.stderr


def test_unreadable_proxied_state_folder_is_a_problem(shared_tmp: Path) -> None:
    folder = shared_tmp / "proxied_state"
    folder.mkdir()
    (folder / "dag.yaml").write_text(TASKS)
    folder.chmod(0o000)
    result = _airlift_as_user(shared_tmp, "validate", ".")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "proxied_state:1:1: cannot read this folder: Permission denied "
        "(check its permissions: the user running this must be able to list it)"
    )
    status = _airlift_as_user(shared_tmp, "proxy", "status", "--dir", "proxied_state")
    assert status.returncode == 1
    assert "cannot read the proxied-state folder: Permission denied" in status.stderr
    assert "Traceback" not in status.stderr
