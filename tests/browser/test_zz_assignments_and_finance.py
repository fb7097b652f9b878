"""An agent's assignments saved with and without their confirmation, and finance downloading a day's
attendance file and following an on-demand report to its end, in the browser. Named to run last in
this directory: the day's compile moves the stack's scheduler clock past midnight."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from contactcenter.attendance import day_of
from tests.browser.conftest import Person, no_serious_violations, screenshot
from tests.e2e.clients import Api
from tests.e2e.conftest import LocalStack

ROME = ZoneInfo("Europe/Rome")  # the demo organization's time zone


def test_an_agent_saves_assignments_with_and_without_confirmation(local_stack: LocalStack, people: Any) -> None:
    sofia = Api(local_stack, "sofia")
    title = f"Call review {secrets.token_hex(3)}"
    created = sofia.call(
        "POST",
        "/assignments",
        expect=201,
        body={
            "type": "coaching",
            "title": title,
            "instructions": "Listen to the call and note one thing to keep.",
            "contentLink": "https://learn.example.com/calls/42",
            "confirmationStatement": "I listened to the call.",
            "commentsAllowed": True,
            "agentIds": ["agent-bruno"],
        },
    )
    assignment_id = created["assignment"]["assignmentId"]
    agent: Person = people("bruno")
    page = agent.open("#/assignments")
    expect(page.get_by_test_id("assignment-counts")).to_contain_text("Coaching")
    item = page.locator(f'li[data-assignment="{assignment_id}"]')
    expect(item).to_have_attribute("data-state", "NEW")
    item.get_by_role("button", name=title).click()
    expect(page.get_by_test_id("opened-state")).to_contain_text("New")

    # Saved without the confirmation: started, not done.
    page.get_by_label("Comments").fill("Kept: the greeting.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("feedback")).to_have_text("Saved")
    expect(page.get_by_test_id("opened-state")).to_contain_text("Started")
    expect(item).to_have_attribute("data-state", "STARTED")

    # Saved with it: completed, and read-only from then on.
    page.get_by_label("I listened to the call.").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("feedback")).to_have_text("Saved and completed")
    expect(page.get_by_test_id("opened-state")).to_contain_text("Completed (read-only)")
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(page.get_by_label("I listened to the call.")).to_be_disabled()
    assert no_serious_violations(page) == []
    screenshot(page, "assignments")
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_test_id("feedback")).to_have_text("Closed")
    expect(item).to_have_attribute("data-state", "COMPLETED")
    copy = Api(local_stack, "bruno").call("GET", f"/me/assignments/{assignment_id}")["assignment"]
    assert (copy["state"], copy["confirmed"], copy["comments"]) == ("COMPLETED", True, "Kept: the greeting.")


def test_finance_downloads_a_days_attendance_and_follows_a_job(local_stack: LocalStack, people: Any) -> None:
    hana = Api(local_stack, "hana")
    hana.ensure_clocked_out()
    hana.call("POST", "/me/clock-in", body={"platform": "web"})
    hana.call("POST", "/me/clock-out", body={"reason": "END_OF_SHIFT"})
    today = datetime.now(UTC).astimezone(ROME).date()
    after_midnight = datetime.fromtimestamp(day_of(today, ROME).end, UTC) + timedelta(minutes=31)
    local_stack.move_clock(after_midnight.isoformat(), fire=False)
    assert local_stack.fire("compile-daily-attendance")["ok"]

    finance: Person = people("fabio")
    page = finance.open("#/finance")
    daily = page.get_by_role("region", name="Daily files")
    daily.get_by_label("From").fill(today.isoformat())
    daily.get_by_label("To").fill(today.isoformat())
    daily.get_by_role("button", name="Show files").click()
    day = page.locator(f'li[data-day="{today.isoformat()}"]')
    expect(day).to_contain_text("manifest.json")
    with page.expect_download() as downloading:
        day.get_by_role("link", name="attendance.csv").click()
    download = downloading.value
    assert download.suggested_filename == "attendance.csv"
    content = download.path().read_text(encoding="utf-8")
    assert "agent-hana" in content
    assert "END_OF_SHIFT" in content

    on_demand = page.get_by_role("region", name="On-demand report")
    on_demand.get_by_label("From").fill(today.isoformat())
    on_demand.get_by_label("To").fill(today.isoformat())
    on_demand.get_by_label("Unit (optional)").fill("sales")
    page.get_by_role("button", name="Request report").click()
    job = page.get_by_test_id("job")
    expect(job).to_have_attribute("data-state", "done", timeout=120_000)
    expect(job.get_by_role("link", name="attendance.csv")).to_be_visible()
    assert no_serious_violations(page) == []
    screenshot(page, "finance")
