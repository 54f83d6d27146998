"""`artemis tui --web` in a real headless chromium: the page loads from the console alone, keys drive the
dashboard, the screen shows the live node's data (read from the terminal's buffer, not pixels), screenshots
of every visited screen are kept under tests/tui/artifacts/<test>/."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.helpers import LiveServer, make_settings, wait_for
from tests.tui.browser import Chromium, Page, WebConsole, load_timeline, overview_loaded
from tests.tui.conftest import artifacts_for, is_instance_down, register

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "browser-admin-pw"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's node, with a first admin (its password set for the first start only), so the walk
    reaches the admins-only Users screen."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARTEMIS_ADMIN_PASSWORD", ADMIN_PASSWORD)
        srv = LiveServer(make_settings(tmp_path_factory.mktemp("node"))).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def web_console(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebConsole]:
    """`artemis tui --web` against this module's node, with the admin's token (ARTEMIS_TOKEN)."""
    r = httpx.post(
        f"{server.url}/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=10
    )
    assert r.status_code == 200, r.text
    token = str(r.json()["data"]["accessToken"])
    console = WebConsole([server.url], tmp_path_factory.mktemp("web-console"), env={"ARTEMIS_TOKEN": token})
    console.start()
    yield console
    console.stop()


def test_operator_walks_every_screen_and_pulls_an_instance_out(
    dashboard: Page, server: LiveServer, unique: Callable[[str], str]
) -> None:
    """In the browser an operator sees the overview and the node, filters services, opens an instance with its
    metadata, pulls it out through the confirm modal (the registry says it is out), finds the operation in the
    audit log and visits every other screen, Users included as the console's token is an admin's (a screenshot
    of each is kept)."""
    sid = unique("web")
    register(server.url, sid, ("w1", "10.71.2.3"), ("w2", "10.71.2.4"), metadata={"version": "1.2.3"})

    dashboard.wait_for_text("Overview — cluster at a glance", f"connected to {server.url}", "1/1 up")
    dashboard.wait_for_text("Registrations /s", "Discovery calls /s")
    dashboard.screenshot("overview")

    dashboard.press("2")
    dashboard.wait_for_text("Cluster — nodes and replication", "1 of 1 nodes up", "cluster: 1 nodes")
    dashboard.wait_for_line(server.url, " up ")
    dashboard.screenshot("cluster")

    dashboard.press("3")
    dashboard.wait_for_text("SERVICE", sid)
    # Typing starts the filter. The rest is typed once the first character shows in the filter box, and
    # Enter waits for the table's footer: keys that arrive while the focus moves between the box and the
    # table can be lost (ServicesScreen.on_key / Input.Submitted; reported in issue 19).
    dashboard.type(sid[0])
    dashboard.wait_until(
        lambda s: _filter_box(s).startswith(sid[0]), what="the filter box to take the typing"
    )
    dashboard.type(sid[1:])
    dashboard.wait_for_text(f"(filter '{sid}': 1 shown)")
    dashboard.wait_until(
        lambda s: any(line.split()[:5] == [sid, "2", "2", "0", "0"] for line in s.splitlines()),
        what=f"{sid}: 2 instances, 2 up, 0 down, 0 pulled out",
    )
    dashboard.screenshot("services-filtered")

    dashboard.press("enter")  # back to the table: its bindings return to the footer
    dashboard.wait_for_line("c Canary", "3 Services")
    dashboard.press("enter")  # open the service
    dashboard.wait_for_text(f"Instances — {sid}", "2 instances: 2 up, 0 not up, 0 pulled out")
    dashboard.wait_for_line("w1", "10.71.2.3:8080", "up")
    dashboard.wait_for_line("w2", "10.71.2.4:8080", "up")
    dashboard.screenshot("instances")

    dashboard.press("enter")
    dashboard.wait_for_text(f"Instance — {sid} / w1")
    dashboard.wait_until(
        lambda s: any(line.split() == ["version", "1.2.3"] for line in s.splitlines()),
        what="the metadata row version 1.2.3",
    )
    dashboard.screenshot("instance-detail")

    dashboard.press("escape")
    dashboard.wait_for_text(f"Instances — {sid}", "2 instances: 2 up")
    dashboard.press("o")
    dashboard.wait_for_text("Pull out", f"{sid}: 1 of 2 instances (50%)")
    dashboard.screenshot("confirm-pull-out")
    dashboard.press("y")
    wait_for(lambda: is_instance_down(server.url, sid, "w1"), timeout=15, what="w1 pulled out")
    dashboard.wait_for_text("1 pulled out")
    dashboard.screenshot("instances-pulled-out")

    dashboard.press("7")
    dashboard.wait_for_text("Audit — audit log, newest first")
    dashboard.wait_for_line(sid, "pullout")
    dashboard.screenshot("audit")

    for key, title in (("4", "Routing — groups"), ("5", "Zones — regions"), ("6", "Canary — canary")):
        dashboard.press(key)
        dashboard.wait_for_text(title)
        dashboard.screenshot(title.split()[0].lower())

    dashboard.press("8")  # the console's token is the admin's: the Users screen opens
    dashboard.wait_for_text("Users — users and roles", "Login history of the selected user")
    dashboard.wait_for_line("admin", "admin", "active")
    dashboard.wait_for_line(
        "success", "127.0.0.1"
    )  # the admin's login (this console's token), in its history
    dashboard.screenshot("users")


def _filter_box(screen: str) -> str:
    """The text in the Services screen's filter box (the middle row of its frame)."""
    rows = [line for line in screen.splitlines() if line.startswith("▊")]
    return rows[1].strip("▊▎ ") if len(rows) >= 3 else ""


def test_time_to_usable(
    browser: Chromium, web_console: WebConsole, server: LiveServer, request: pytest.FixtureRequest
) -> None:
    """Opening the page gives a usable dashboard (the Overview with its first data) within the bound
    that only catches a hang; the page asks nothing of any other host. Prints the milestones (figures, not a
    goal: see docs/benchmarks.md and benchmarks/tui_web.py)."""
    artifacts = artifacts_for(request)
    usable: list[float] = []
    for n in range(3):  # the first load is cold (the session's imports, the page's assets)
        page = browser.open(artifacts=artifacts)
        try:
            marks = load_timeline(page, web_console.url, overview_loaded(server.url), timeout=30)
            assert marks["usable"] < 30
            assert set(marks) >= {"page_loaded", "connected", "first_frame", "usable"}, marks
            origin = web_console.url.rstrip("/")
            foreign = [u for u in page.requests if not u.startswith((origin, web_console.ws_url))]
            assert foreign == [], f"the page asked other hosts: {foreign}"
            print("load", n, " ".join(f"{k}={v:.2f}s" for k, v in marks.items()))
            usable.append(marks["usable"])
            if n == 0:
                page.screenshot("usable")
        finally:
            page.close()
    print(
        f"time to usable: median {statistics.median(usable):.2f}s, max {max(usable):.2f}s over {len(usable)}"
    )


def test_a_page_of_another_origin_cannot_open_a_session(
    browser: Chromium, web_console: WebConsole, server: LiveServer, request: pytest.FixtureRequest
) -> None:
    """A page of another site open in the same browser (here the registry's own origin) cannot open the
    console's WebSocket, so it cannot drive the operator's dashboard; a page of the console's origin can."""
    artifacts = artifacts_for(request)
    outcomes = {}
    for name, url in (
        ("foreign", server.url + "/schema"),
        ("console", web_console.url + "static/css/xterm.css"),  # same origin, no dashboard page
    ):
        page = browser.open(url, artifacts=artifacts)
        try:
            page.wait_loaded()
            outcomes[name] = page.evaluate(
                f"""new Promise((done) => {{
                    const ws = new WebSocket({web_console.ws_url!r});
                    ws.onopen = () => {{ ws.close(); done("open"); }};
                    ws.onerror = () => done("refused");
                    setTimeout(() => done("no answer"), 10000);
                }})""",
                timeout=20,
            )
        finally:
            page.close()
    assert outcomes == {"foreign": "refused", "console": "open"}
