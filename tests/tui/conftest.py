"""TUI test helpers: bounded polling inside a Pilot session, HTTP helpers against the live node, and the
browser fixtures (``browser``, ``web_console``, ``dashboard``) of the `artemis tui --web` tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import ROOT, LiveServer
from tests.tui.browser import Chromium, Page, WebConsole

# Screenshots of the browser tests: one directory per test, replaced on each run (ignored by git).
ARTIFACTS = Path(os.environ.get("ARTEMIS_TEST_ARTIFACTS") or ROOT / "tests" / "tui" / "artifacts")


async def until(
    pilot: Any, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition"
) -> Any:
    """Poll ``predicate`` while the app runs; fail after ``timeout`` seconds (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:  # widget not mounted yet, ...
            last = exc
        else:
            if last:
                return last
        await pilot.pause(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")


def register(url: str, service: str, *instances: tuple[str, str], **extra: Any) -> None:
    """Register (instance id, ip) pairs of one service over HTTP."""
    body = {
        "instances": [
            {
                "serviceId": service,
                "instanceId": iid,
                "ip": ip,
                "port": 8080,
                "url": f"http://{ip}:8080",
                **extra,
            }
            for iid, ip in instances
        ]
    }
    r = httpx.post(url + "/api/registry/register.json", json=body, timeout=10)
    assert r.json()["responseStatus"]["status"] == "success", r.text


async def aregister(url: str, service: str, *instances: tuple[str, str], **extra: Any) -> None:
    await asyncio.to_thread(register, url, service, *instances, **extra)


def is_instance_down(url: str, service: str, instance: str) -> bool:
    r = httpx.post(
        url + "/api/management/instance/is-instance-down.json",
        json={"instanceKey": {"serviceId": service, "instanceId": instance, "regionId": "default"}},
        timeout=10,
    )
    return bool(r.json()["isDown"])


def is_server_down(url: str, ip: str) -> bool:
    r = httpx.post(
        url + "/api/management/server/is-server-down.json",
        json={"serverId": ip, "regionId": "default"},
        timeout=10,
    )
    return bool(r.json()["isDown"])


def table_cells(app: Any) -> dict[str, tuple[str, ...]]:
    from artemis_cli.tui.widgets import KeyedTable

    return dict(app.screen.query_one(KeyedTable).cells)


# -- browser fixtures ----------------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)  # the page fixture screenshots a failed test
    return report


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Chromium]:
    """One headless chromium per test module (skips the module's tests when chromium is not installed)."""
    b = Chromium.launch(ARTIFACTS / request.module.__name__.rsplit(".", 1)[-1])
    yield b
    b.close()


@pytest.fixture(scope="module")
def web_console(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebConsole]:
    """`artemis tui --web` against the shared live node, one per test module."""
    console = WebConsole([server.url], tmp_path_factory.mktemp("web-console")).start()
    yield console
    console.stop()


def artifacts_for(request: pytest.FixtureRequest) -> Path:
    """This test's screenshot directory, emptied (the files always belong to the latest run)."""
    path = ARTIFACTS / request.node.name.replace("/", "-")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def dashboard(browser: Chromium, web_console: WebConsole, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh tab on the web console, once the dashboard's first screen is drawn; a failed test leaves a
    screenshot of the page, and the screenshot directory is printed."""
    page = browser.open(web_console.url, artifacts=artifacts_for(request))
    page.wait_for_text("Overview", timeout=30)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        try:
            page.screenshot("failed")
        except Exception:
            pass
    print(f"browser screenshots: {page.artifacts}")
    page.close()
