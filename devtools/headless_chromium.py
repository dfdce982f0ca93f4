"""Headless Chromium for docs screenshots: a plain page, or one after a click.

Needs Debian's ``chromium`` (``apt-get install -y chromium``). A plain page uses
``--screenshot``; a page that must be clicked first (a tab whose state is not in
the URL) is driven over the DevTools protocol with ``websockets`` (installed with
Dagster's webserver). Used by ``devtools/screenshot_checks.py``; never by CI.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from devtools.local_stack.ports import free_port

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
WIDTH, HEIGHT = 1400, 900


def _browser() -> str:
    found = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        raise SystemExit("chromium is not installed: apt-get install -y chromium")
    return found


def screenshot(url: str, target: Path, *, wait_ms: int = 20000) -> None:
    """Photograph ``url`` after ``wait_ms`` of page time, with a fresh profile."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                _browser(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={wait_ms}",
                f"--screenshot={target}",
                f"--window-size={WIDTH},{HEIGHT}",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )


# JavaScript run in the page: click the first element whose own text is ``label``.
_CLICK = """
(() => {
  const all = Array.from(document.querySelectorAll('button, [role=tab], a, div, span'));
  const hit = all.find(e => e.childElementCount === 0 && e.textContent.trim() === %s);
  if (!hit) return false;
  hit.click();
  return true;
})()
"""
_HAS_TEXT = "document.body && document.body.innerText.includes(%s)"


class _Page:
    """One page over the DevTools protocol (commands answered in order)."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.next_id = 0

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result") or {})

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return (result.get("result") or {}).get("value")

    async def wait_for(self, expression: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not await self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"page never satisfied: {expression}")
            await asyncio.sleep(0.5)


async def _drive(port: int, url: str, click: str, then_text: str, target: Path) -> None:
    import websockets

    pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=30).json()
    socket_url = next(p["webSocketDebuggerUrl"] for p in pages if p.get("type") == "page")
    async with websockets.connect(socket_url, max_size=64 * 1024 * 1024) as socket:
        page = _Page(socket)
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )
        await page.send("Page.navigate", url=url)
        await page.wait_for(_HAS_TEXT % json.dumps(click))
        await page.wait_for(_CLICK % json.dumps(click))
        await page.wait_for(_HAS_TEXT % json.dumps(then_text))
        await asyncio.sleep(2.0)  # let the list's rows finish drawing
        shot = await page.send("Page.captureScreenshot", format="png")
        target.write_bytes(base64.b64decode(shot["data"]))


def screenshot_after_click(url: str, target: Path, *, click: str, then_text: str) -> None:
    """Open ``url``, click the element labelled ``click``, wait for ``then_text``, photograph."""
    port = free_port()
    with tempfile.TemporaryDirectory() as profile:
        browser = subprocess.Popen(
            [
                _browser(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--remote-debugging-port={port}",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/json/version", timeout=5)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            asyncio.run(_drive(port, url, click, then_text, target))
        finally:
            browser.terminate()
            browser.wait(timeout=30)
