"""Archive suite: the whole feed walked through prev-archive and back through next-archive
(RFC 5005 §4, 000 §Get Order Feed Archive, 001 §GET Order Feed Archives, 002 §Step 2).
"""

from __future__ import annotations

import os
import uuid

import pytest

from dropship_conformance.client import DropshipClient, SandboxControl
from dropship_conformance.feed import atom, rules
from dropship_conformance.feed.walk import WalkResult, walk
from dropship_conformance.harness.target import Target
from dropship_conformance.verdicts import Expect

pytestmark = pytest.mark.archive

PAGE = 50
# Enough events for several archive pages; ARCHIVE_EVENTS raises it (benchmarks, soak runs).
EVENTS = int(os.environ.get("DROPSHIP_CONFORMANCE_ARCHIVE_EVENTS", str(3 * PAGE + 7)))
WALK_RULES = sorted(
    {c.requirement_id for c in rules.CHECKS if "archive" in c.roles}
    | {"DS-ARCH-004", "DS-ARCH-005", "DS-ARCH-009", "DS-ARCH-010", "DS-FEED-015"}
)
# Rules that only an archive page can show: unjudged when the target has no archive.
NEEDS_ARCHIVES = {"DS-ARCH-001", "DS-ARCH-003", "DS-ARCH-006"}


@pytest.fixture(scope="module")
def feed_stats(target: Target) -> dict | None:
    """On the sandbox, append enough events for several archives; the sandbox's own counts."""
    if target.control is None:
        return None
    reply = target.control.append_events(target.settings.supplier_id, EVENTS)
    if reply.status != 201:
        pytest.skip(
            f"the sandbox control API refused to append events: {reply.status} {reply.text}"
        )
    return reply.json()["feed"]


@pytest.fixture(scope="module")
def walked(dropship: DropshipClient, feed_stats: dict | None) -> WalkResult:
    return walk(
        dropship.follow, f"{dropship.base_url}/Suppliers({dropship.supplier_id})/Notifications"
    )


@pytest.mark.parametrize("requirement_id", WALK_RULES)
def test_walk(walked: WalkResult, expect: Expect, requirement_id: str) -> None:
    """Every page and link of the walk, one verdict per requirement."""
    if requirement_id in NEEDS_ARCHIVES and walked.archives == 0:
        pytest.skip("the target's feed has no archive page yet, and no way to add events here")
    if requirement_id not in walked.judged:
        pytest.skip(f"the walk stopped before {requirement_id} could be judged")
    expect.none_of(
        requirement_id,
        walked.problems.get(requirement_id, []),
        expected=f"no violation on {walked.pages} pages ({walked.entries} entries)",
    )


@pytest.mark.requirements("DS-ARCH-005")
def test_walk_reaches_every_entry(
    walked: WalkResult, feed_stats: dict | None, expect: Expect
) -> None:
    if feed_stats is None:
        pytest.skip("only the sandbox reports how many entries its feed holds")
    expect.equal(
        "DS-ARCH-005", len(walked.entry_ids), feed_stats["entries"], what="distinct entries walked"
    )


@pytest.mark.requirements("DS-ARCH-002")
def test_archive_never_changes(
    walked: WalkResult, dropship: DropshipClient, target: Target, expect: Expect
) -> None:
    if walked.oldest_url is None or walked.archives == 0:
        pytest.skip("the target's feed has no archive page")
    before = dropship.follow(walked.oldest_url)
    if target.control is not None:
        target.control.append_events(target.settings.supplier_id, 1)
    after = dropship.follow(walked.oldest_url)
    difference = atom.first_difference(before.content, after.content)
    expect.that(
        "DS-ARCH-002",
        before.status == after.status == 200 and difference is None,
        expected=f"{walked.oldest_url} identical when fetched twice (a new event in between)",
        found=difference or f"statuses {before.status}, {after.status}",
    )


@pytest.mark.requirements("DS-ARCH-008", "DS-ARCH-009")
def test_full_current_document_rolls_into_an_archive(
    dropship: DropshipClient, control: SandboxControl | None, target: Target, expect: Expect
) -> None:
    if control is None:
        pytest.skip("needs the sandbox control API to add exactly the events that fill a page")
    supplier = target.settings.supplier_id
    current = atom.read_feed(dropship.notifications().content)
    missing = PAGE - len(current.entries)
    if missing:
        control.append_events(supplier, missing)
    full = atom.read_feed(dropship.notifications().content)
    expect.equal("DS-ARCH-008", len(full.entries), PAGE, what="entries of the current document")
    control.append_events(supplier, 1)
    after = atom.read_feed(dropship.notifications().content)
    expect.equal("DS-ARCH-008", len(after.entries), 1, what="entries of the new current document")
    previous = after.link("prev-archive")
    expect.that(
        "DS-ARCH-009",
        previous is not None,
        expected="a prev-archive link on the current document",
        found=f"links {after.links}",
    )
    archive = atom.read_feed(dropship.follow(previous).content)
    expect.equal(
        "DS-ARCH-008",
        [e.id for e in archive.entries],
        [e.id for e in full.entries],
        what="entries of the new archive (the former current document's)",
    )


@pytest.mark.requirements("DS-ERR-002")
# 000's example archive id names no page of a fresh feed.
@pytest.mark.parametrize(
    "page_id", ["not-a-guid", str(uuid.UUID(int=0)), "e1697c26-23e2-4bc7-8f6c-494c6034d9e2"]
)
def test_invalid_page_id_is_refused(dropship: DropshipClient, expect: Expect, page_id: str) -> None:
    reply = dropship.page(page_id)
    message = reply.json().get("Message") if reply.media_type == "application/json" else None
    expect.that(
        "DS-ERR-002",
        reply.status == 400 and message == "The request is invalid",
        expected='400 with Message "The request is invalid"',
        found=f"{reply.status} {reply.text[:200]!r}",
    )
