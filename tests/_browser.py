"""Shared pieces of the browser tests: Debian's Chromium driven by Playwright.

CI installs Chromium (.ci/run). On a developer machine without it the browser tests
are skipped; under CI (``CI`` set to anything but "", "0", "false" or "no") a missing
browser fails every browser test with a message saying so, never a skip (the other
test files still run).

Every page is kept offline: a request to anything but the local server (or the file
itself) is aborted and recorded, so a test can assert that nothing asked the internet.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
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


def on_ci() -> bool:
    """Whether this runs under CI: ``CI`` set to anything but "", "0", "false" or "no"."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


MISSING_ON_CI = (
    "Chromium is not installed, and under CI the browser tests must run: install it "
    "(.ci/run does: apt-get install chromium), or unset CI to skip them"
)


@pytest.fixture(scope="module", autouse=True)
def _chromium_required_under_ci() -> None:
    """Fail each test of the module (before any of its other fixtures) with a message."""
    pytest.fail(MISSING_ON_CI, pytrace=False)


def needs_chromium() -> pytest.MarkDecorator:
    """The mark for a browser test module: ``pytestmark = needs_chromium()``.

    Without Chromium the module's tests are skipped, except under CI (:func:`on_ci`),
    where each of them fails with :data:`MISSING_ON_CI`: the call puts an autouse
    fixture that fails into the calling module (a mark alone cannot fail a test,
    and raising at import would stop the whole session).
    """
    if CHROMIUM is None:
        if on_ci():
            caller = sys._getframe(1).f_globals
            caller["_chromium_required_under_ci"] = _chromium_required_under_ci
            return pytest.mark.browser
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


def _log_name(port: int) -> str:
    """``server-<test>-<port>.log``: the test that started the server, from pytest."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0].split("::")[-1]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", test).strip("-")[:80]
    return f"server-{slug}-{port}.log" if slug else f"server-{port}.log"


def _stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """End the server and everything it started (kernels): its whole process group."""

    def alive() -> bool:
        proc.poll()  # reap the leader, so a finished server does not linger as a zombie
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    if not alive():
        return
    os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive():
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


@contextmanager
def server(
    command: list[str], port: int, *, path: str = "/", timeout: float = 90.0, **popen
) -> Iterator[str]:
    """Run a local HTTP server (Voila, JupyterLab) until it answers; yield its URL.

    The server runs in a session of its own, and its whole process group (with the
    kernels it started) is ended afterwards. Its output goes to
    ``ARTEFACTS/server-<test>-<port>.log``, whose tail is shown if it never answers;
    the log is deleted when the server ran fine and kept when something failed (the
    server never answered, the block raised, or the log shows a traceback).
    """
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTEFACTS / _log_name(port)
    popen.setdefault("start_new_session", True)
    failed = True
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
            failed = False
        finally:
            if popen["start_new_session"]:
                _stop(proc)
            else:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    if not failed and "Traceback" not in log.read_text(errors="replace"):
        log.unlink(missing_ok=True)
