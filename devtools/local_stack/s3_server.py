"""A real S3-compatible server (moto's) on loopback, for versioned defs-state storage.

``S3Server(home).start()`` runs ``moto_server`` from the venv on 127.0.0.1 and
creates a bucket; :meth:`S3Server.storage_options` is what Dagster's
``UPathDefsStateStorage`` (through s3fs) needs to reach it. The credentials are
moto's fixed test values, not secrets.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx

from devtools.local_stack.airflow_env import clean_base_environment
from devtools.local_stack.ports import LOOPBACK, free_port
from devtools.local_stack.processes import ManagedProcess, Server, poll_for

TEST_KEY = "testing"


class S3Server(Server):
    """``moto_server`` with one bucket; stopped with :meth:`stop`."""

    def __init__(self, home: Path, bucket: str = "airlift-state") -> None:
        self.home = Path(home)
        self.bucket = bucket
        self.port = 0
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def storage_options(self) -> dict[str, Any]:
        return {"endpoint_url": self.url, "key": TEST_KEY, "secret": TEST_KEY}

    def start(self) -> S3Server:
        self.port = free_port()
        bin_dir = Path(sys.executable).parent
        self._process = ManagedProcess(
            "moto_server",
            [str(bin_dir / "moto_server"), "-H", LOOPBACK, "-p", str(self.port)],
            env=clean_base_environment(Path(sys.executable)),
            log_path=self.home / "moto.log",
            cwd=self.home,
        )
        self.home.mkdir(parents=True, exist_ok=True)
        self._process.start()
        poll_for(
            lambda: True if httpx.get(self.url + "/", timeout=5).status_code < 500 else None,
            timeout=60,
            what=f"moto_server at {self.url}",
            processes=[self._process],
            transient=(httpx.TransportError,),
        )
        import s3fs

        s3fs.S3FileSystem(**self._s3fs_options()).mkdir(self.bucket)
        return self

    def _s3fs_options(self) -> dict[str, Any]:
        return {"endpoint_url": self.url, "key": TEST_KEY, "secret": TEST_KEY}

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every object under ``bucket/prefix``."""
        import s3fs

        fs = s3fs.S3FileSystem(**self._s3fs_options())
        fs.invalidate_cache()
        return sorted(fs.find(f"{self.bucket}/{prefix}"))

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
