"""Shared pieces of the browser tests: Debian's Chromium driven by Playwright.

CI installs Chromium (.ci/run). On a developer machine without it the browser tests
are skipped; under ``CI=true`` a missing browser is an error, never a skip.

Every page is kept offline: a request to anything but the local server (or the file
itself) is aborted and recorded, so a test can assert that nothing asked the internet.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

#: the arguments that make Debian's Chromium run headless in a container
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: where browser tests leave their screenshots (a test artefact, kept after the run)
ARTEFACTS = Path(__file__).resolve().parents[1] / "reports" / "browser-tests"


def needs_chromium() -> pytest.MarkDecorator:
    """The mark for a browser test module: ``pytestmark = needs_chromium()``.

    Raises at import under CI when Chromium is missing, so CI fails instead of skipping.
    """
    if CHROMIUM is None:
        if os.environ.get("CI"):
            raise RuntimeError(
                "CI must install Chromium for the browser tests "
                "(.ci/run does: apt-get install chromium)"
            )
        return pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
    return pytest.mark.browser


LOCAL = ("file://", "data:", "blob:", "http://127.0.0.1", "http://localhost", "ws://127.0.0.1")


@contextmanager
def browser_page(width: int = 1280, height: int = 900) -> Iterator[tuple[object, list[str]]]:
    """A fresh Chromium page that may reach only local addresses.

    Yields ``(page, outside)``: ``outside`` lists every request that was aborted
    because it went beyond this machine.
    """
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})

            def guard(route):
                if route.request.url.startswith(LOCAL):
                    return route.continue_()
                outside.append(route.request.url)
                return route.abort()

            context.route("**/*", guard)
            yield context.new_page(), outside
        finally:
            browser.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(
    command: list[str], port: int, *, path: str = "/", timeout: float = 90.0, **popen
) -> Iterator[str]:
    """Run a local HTTP server (Voila, JupyterLab) until it answers; yield its URL.

    The server's output goes to a log file whose tail is shown if it never answers.
    """
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTEFACTS / f"server-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{command[0]} exited ({proc.returncode}):\n" + log.read_text()[-3000:]
                    )
                try:
                    urllib.request.urlopen(url + path, timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"{command[0]} did not answer on {url} within {timeout:.0f} s:\n"
                            + log.read_text()[-3000:]
                        ) from None
                    time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
