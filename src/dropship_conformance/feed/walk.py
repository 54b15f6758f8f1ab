"""Walking an archived feed (RFC 5005 §4): current document -> prev-archive ... -> oldest,
then back through next-archive, judging every page on the way.

The walk streams: it holds one page at a time plus the few facts the next step needs (the
previous page's self link, oldest/newest timestamps), so its memory does not grow with the
number of pages. The only thing that grows is the set of entry ids (an integer per entry),
which the "no entry twice" rule cannot do without.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from dropship_conformance.client import Reply
from dropship_conformance.feed.atom import FeedDocument, NotAnAtomFeed, read_feed_root
from dropship_conformance.feed.rules import CHECKS, check_root
from dropship_conformance.feed.xmlsafe import UnsafeOrInvalidXML, parse_xml

ATOM = "application/atom+xml"
# Messages kept per requirement: enough to explain, bounded for a 100,000-event feed.
KEPT_MESSAGES = 20

Fetch = Callable[[str], Reply]


@dataclass
class WalkResult:
    """What the walk saw, and every rule it judged with the problems it found."""

    pages: int = 0
    archives: int = 0
    entries: int = 0
    entry_ids: set[int | str] = field(default_factory=set, repr=False)
    judged: set[str] = field(default_factory=set)
    problems: dict[str, list[str]] = field(default_factory=dict)
    current_self: str | None = None
    current_urls: frozenset[str] = frozenset()
    oldest_url: str | None = None

    def judge(self, requirement_id: str, problem: str | None = None) -> None:
        self.judged.add(requirement_id)
        if problem is not None:
            kept = self.problems.setdefault(requirement_id, [])
            if len(kept) < KEPT_MESSAGES:
                kept.append(problem)
            elif len(kept) == KEPT_MESSAGES:
                kept.append("... more of the same not shown")

    def saw(self, entry_id: str) -> bool:
        """Remember an entry id; False when it was seen before."""
        try:
            key: int | str = uuid.UUID(entry_id.removeprefix("urn:uuid:")).int
        except ValueError:
            key = entry_id
        if key in self.entry_ids:
            return False
        self.entry_ids.add(key)
        return True


@dataclass(frozen=True)
class _Seen:
    """The facts of a visited page that the next step of the walk needs."""

    url: str
    self_link: str | None
    prev: str | None
    next: str | None
    oldest: datetime | None
    newest: datetime | None


def _fetch_page(fetch: Fetch, url: str, role: str, result: WalkResult) -> FeedDocument | None:
    reply = fetch(url)
    result.judge("DS-ARCH-010")
    if reply.status != 200 or reply.media_type != ATOM:
        result.judge(
            "DS-ARCH-010",
            f"GET {url}: expected 200 {ATOM}, found {reply.status} "
            f"{reply.headers.get('content-type')!r}",
        )
        return None
    try:
        root = parse_xml(reply.content)
        document = read_feed_root(root)
    except (UnsafeOrInvalidXML, NotAnAtomFeed) as error:
        result.judge("DS-FEED-002", f"{url}: {error}")
        return None
    result.judged.update(c.requirement_id for c in CHECKS if role in c.roles)
    for violation in check_root(root, role):
        result.judge(violation.requirement_id, f"{url}: {violation.message}")
    result.pages += 1
    return document


def _facts(url: str, document: FeedDocument) -> _Seen:
    stamps = [e.updated for e in document.entries if e.updated is not None]
    return _Seen(
        url=url,
        self_link=document.link("self"),
        prev=document.link("prev-archive"),
        next=document.link("next-archive"),
        oldest=min(stamps, default=None),
        newest=max(stamps, default=None),
    )


def walk(fetch: Fetch, current_url: str, *, max_pages: int = 100_000) -> WalkResult:
    """Walk the whole feed from ``current_url`` and back; judge every page and link."""
    result = WalkResult()
    current = _fetch_page(fetch, current_url, "current", result)
    if current is None:
        return result
    newer = _facts(current_url, current)
    result.current_self = newer.self_link
    # The newest archive's next-archive may name the current document by its page URI (000's
    # example) or by the subscription URI (RFC 5005 §4): both are the current document.
    result.current_urls = frozenset(
        url for url in (newer.self_link, current_url, current.link("current")) if url
    )
    _count_entries(current, current_url, result)
    result.judge("DS-ARCH-009")
    result.judge("DS-ARCH-004")
    result.judge("DS-FEED-015")
    result.judge("DS-ARCH-005")
    while newer.prev is not None:
        if result.pages > max_pages:
            result.judge("DS-ARCH-004", f"more than {max_pages} pages: prev-archive links loop?")
            return result
        document = _fetch_page(fetch, newer.prev, "archive", result)
        if document is None:
            return result
        page = _facts(newer.prev, document)
        result.archives += 1
        expected_next = result.current_urls if newer.url == current_url else {newer.self_link}
        if page.next not in expected_next:
            result.judge(
                "DS-ARCH-004",
                f"{page.url}: next-archive {page.next!r}, expected the self link of the page "
                f"whose prev-archive led here ({newer.self_link!r})",
            )
        if page.newest and newer.oldest and page.newest > newer.oldest:
            result.judge(
                "DS-FEED-015",
                f"{page.url}: holds an entry updated {page.newest.isoformat()}, newer than the "
                f"oldest entry {newer.oldest.isoformat()} of the newer page {newer.url}",
            )
        if not _count_entries(document, page.url, result):
            result.judge(
                "DS-ARCH-004", f"{page.url}: prev-archive leads back to a page already walked"
            )
            return result
        newer = page
    result.oldest_url = newer.url
    # Forward there are as many steps as archives were walked back; more means a loop.
    _walk_forward(fetch, newer, result, result.archives)
    return result


def _count_entries(document: FeedDocument, url: str, result: WalkResult) -> bool:
    """Count the page's entries; False when every one of them was seen before (a loop)."""
    fresh = 0
    for entry in document.entries:
        result.entries += 1
        if entry.id is None or result.saw(entry.id):
            fresh += 1
        else:
            result.judge("DS-ARCH-005", f"{url}: entry {entry.id} was already seen on a newer page")
    return fresh > 0 or not document.entries


def _walk_forward(fetch: Fetch, oldest: _Seen, result: WalkResult, max_steps: int) -> None:
    """From the oldest archive back to the current document through next-archive."""
    older, steps = oldest, 0
    while older.next is not None and steps <= max_steps:
        steps += 1
        reply = fetch(older.next)
        if reply.status != 200:
            result.judge("DS-ARCH-004", f"GET {older.next} (next-archive): status {reply.status}")
            return
        try:
            document = read_feed_root(parse_xml(reply.content))
        except (UnsafeOrInvalidXML, NotAnAtomFeed) as error:
            result.judge("DS-FEED-002", f"{older.next}: {error}")
            return
        page = _facts(older.next, document)
        if page.prev != older.self_link:
            result.judge(
                "DS-ARCH-004",
                f"{page.url}: prev-archive {page.prev!r}, expected {older.self_link!r} "
                "(the page whose next-archive led here)",
            )
        if page.self_link == result.current_self or page.url in result.current_urls:
            return
        older = page
    if older.self_link not in result.current_urls:
        result.judge(
            "DS-ARCH-004",
            f"next-archive links end at {older.url} without reaching the current document "
            f"{result.current_self!r}",
        )
