"""An agent and a supervisor in two browsers: the agent's change reaches the supervisor's dashboard
by push (no reload), the supervisor's forced change reaches the agent, and a dashboard whose socket was
cut shows exactly the current state once it reconnects, by catching up on what it missed."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import WebSocketRoute, expect

from tests.browser.conftest import Person, no_serious_violations, screenshot
from tests.e2e.clients import Api
from tests.e2e.conftest import LocalStack

PUSH_SECONDS = 10_000  # ms Playwright waits for a pushed change to show (the figure itself is benched)


def _row(person: Person, agent_id: str) -> Any:
    return person.page.locator(f'tr[data-agent="{agent_id}"]')


def _watch(supervisor: Person, unit: str) -> None:
    page = supervisor.open("#/supervisor")
    page.get_by_label("Unit", exact=True).fill(unit)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("link")).to_have_attribute("data-state", "open")
    expect(page.get_by_test_id("feedback")).to_contain_text(f"Watching unit {unit}")


def test_agent_change_reaches_the_supervisor_and_a_forced_change_reaches_the_agent(
    local_stack: LocalStack, people: Any
) -> None:
    Api(local_stack, "dev").ensure_clocked_out()
    supervisor: Person = people("sofia")
    _watch(supervisor, "sales")
    supervisor.page.evaluate("window.__notReloaded = true")
    row = _row(supervisor, "agent-dev")
    expect(row).to_have_attribute("data-status", "AWAY")

    agent: Person = people("dev")
    page = agent.open("#/agent")
    expect(page.get_by_test_id("my-status")).to_contain_text("Away")
    assert no_serious_violations(page) == []
    page.get_by_label("Unit").select_option("sales")  # dev works in two units: the chooser is offered
    page.get_by_role("button", name="Clock in").click()
    expect(page.get_by_test_id("feedback")).to_have_text("Clocked in")
    expect(page.get_by_test_id("my-status")).to_contain_text("Available")
    expect(page.get_by_test_id("my-status")).to_contain_text("unit sales")

    page.get_by_label("Status", exact=True).select_option("UNAVAILABLE")
    page.get_by_label("Reason", exact=True).select_option("MEETING")
    with page.expect_response(re.compile(r"/me/status$")) as answered:
        page.get_by_role("button", name="Change status").click()
    assert answered.value.status == 200
    changed_at = time.monotonic()
    expect(page.get_by_test_id("my-status")).to_contain_text("Unavailable")
    expect(page.get_by_test_id("my-status")).to_contain_text("MEETING")

    expect(row).to_have_attribute("data-status", "UNAVAILABLE", timeout=PUSH_SECONDS)
    shown_after = time.monotonic() - changed_at
    expect(row).to_contain_text("MEETING")
    assert supervisor.page.evaluate("window.__notReloaded") is True
    assert supervisor.calls("/units/sales/dashboard") == 1, "kept current by pushes, not by reading again"
    print(f"the change showed on the supervisor's page {shown_after * 1000:.0f} ms after the agent's answer")
    screenshot(page, "agent")

    # The supervisor forces the agent AWAY from the row's actions.
    supervisor.page.get_by_role("button", name="Actions for Dev Agent").click()
    actions = supervisor.page.get_by_test_id("row-actions")
    assert no_serious_violations(supervisor.page) == []
    screenshot(supervisor.page, "supervisor")
    actions.get_by_label("Force status").select_option("AWAY")
    actions.get_by_label("Reason", exact=True).select_option("END_OF_SHIFT")
    actions.get_by_role("button", name="Force").click()
    expect(supervisor.page.get_by_test_id("feedback")).to_have_text("Dev Agent: status forced to Away")
    expect(row).to_have_attribute("data-status", "AWAY", timeout=PUSH_SECONDS)

    expect(page.get_by_test_id("my-status")).to_contain_text("Away", timeout=PUSH_SECONDS)
    expect(page.get_by_test_id("pushed")).to_contain_text("set your status to Away (END_OF_SHIFT)")
    # Forced AWAY closes the agent's sessions: the console says so and reconnects by itself.
    expect(page.get_by_test_id("link")).to_have_attribute("data-state", "open", timeout=PUSH_SECONDS)


def test_errors_show_the_api_message_and_field(local_stack: LocalStack, people: Any) -> None:
    supervisor: Person = people("sofia")
    page = supervisor.open("#/supervisor")
    page.get_by_label("Unit", exact=True).fill("support")  # sofia supervises sales only
    page.get_by_role("button", name="Show").click()
    # The dashboard read and the socket's subscription are both refused; either says why, naming the field.
    expect(page.get_by_test_id("error")).to_contain_text(re.compile(r"you do not supervise .*\(field unit"))


class _Cuttable:
    """Stands between the page and the WebSocket API: passes everything through until cut; while
    cut, closes the page's connection and refuses its new ones."""

    def __init__(self) -> None:
        self.cut = False
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def route(self, socket: WebSocketRoute) -> None:
        if self.cut:
            socket.close(code=4001, reason="cut by the test")
            return
        self.open.append((socket, socket.connect_to_server()))

    def cut_now(self) -> None:
        self.cut = True
        for page_side, server_side in self.open:
            server_side.close()
            page_side.close(code=4001, reason="cut by the test")
        self.open.clear()


def test_dashboard_catches_up_exactly_after_its_socket_is_cut(local_stack: LocalStack, people: Any) -> None:
    franco, gina = Api(local_stack, "franco"), Api(local_stack, "gina")
    for agent in (franco, gina):
        agent.ensure_clocked_out()
    franco.call("POST", "/me/clock-in", body={"platform": "web"})
    local_stack.drain()

    supervisor: Person = people("sofia")
    link = _Cuttable()
    supervisor.page.route_web_socket(re.compile(r"/live(\?|$)"), link.route)
    _watch(supervisor, "sales")
    supervisor.page.evaluate("window.__notReloaded = true")
    expect(_row(supervisor, "agent-franco")).to_have_attribute("data-status", "AVAILABLE")

    link.cut_now()
    expect(supervisor.page.get_by_test_id("link")).to_have_attribute("data-state", "retrying")
    expect(supervisor.page.get_by_test_id("link")).to_contain_text("Reconnecting")
    # Meanwhile: several changes each, one agent ending where it began.
    franco.call("PUT", "/me/status", body={"status": "UNAVAILABLE", "reason": "BREAK"})
    franco.call("PUT", "/me/status", body={"status": "OFFLINE_WORK"})
    gina.call("POST", "/me/clock-in", body={"platform": "web"})
    gina.call("PUT", "/me/status", body={"status": "UNAVAILABLE", "reason": "BACK_OFFICE"})
    local_stack.drain()
    expect(_row(supervisor, "agent-franco")).to_have_attribute("data-status", "AVAILABLE")  # nothing got through

    link.cut = False
    expect(supervisor.page.get_by_test_id("link")).to_have_attribute("data-state", "open", timeout=30_000)
    truth = Api(local_stack, "sofia").call("GET", "/units/sales/dashboard")["agents"]
    for agent in truth:
        row = _row(supervisor, agent["agentId"])
        expect(row).to_have_attribute("data-sequence", str(agent["sequence"]), timeout=PUSH_SECONDS)
        expect(row).to_have_attribute("data-status", agent["status"])
    expect(_row(supervisor, "agent-gina")).to_contain_text("BACK_OFFICE")
    assert supervisor.page.evaluate("window.__notReloaded") is True
    assert supervisor.calls("/units/sales/dashboard") == 1, "caught up, not read again"
    assert supervisor.page.evaluate("window.__consoleMetrics.catchups") >= 1
    counts = supervisor.page.get_by_test_id("counts")
    expect(counts.get_by_test_id("count-OFFLINE_WORK")).to_have_text(
        str(sum(1 for a in truth if a["status"] == "OFFLINE_WORK"))
    )


def test_the_agent_view_works_on_a_phone_and_from_the_keyboard(local_stack: LocalStack, people: Any) -> None:
    Api(local_stack, "alice").ensure_clocked_out()
    agent: Person = people("alice", viewport={"width": 390, "height": 844})
    page = agent.open("#/agent")
    expect(page.get_by_test_id("my-status")).to_contain_text("Away")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    # Keyboard only: Tab to Clock in, Enter; then the status menu, chosen with the keyboard too.
    clock_in = page.get_by_role("button", name="Clock in")
    for _ in range(20):
        page.keyboard.press("Tab")
        if clock_in.evaluate("element => element === document.activeElement"):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("feedback")).to_have_text("Clocked in")
    status = page.get_by_label("Status", exact=True)
    status.focus()
    status.select_option("OFFLINE_WORK")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("my-status")).to_contain_text("Offline work")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_serious_violations(page) == []
    screenshot(page, "agent-phone")
