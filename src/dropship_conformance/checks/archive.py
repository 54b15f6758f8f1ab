"""Checks of the archive (DS-ARCH) and of the feed's links: the rules one archive document
alone shows, what a link of the feed may name (:class:`FeedScope`), what the walk observed
(:class:`WalkResult`, one step back: :func:`judge_step`) and what the suites observe across
documents (stability, self links, paging).

:mod:`dropship_conformance.feed.walk` walks the pages and registers the walk's rules;
:func:`judge_walk` gives the walk's verdict on one of them.
"""

from __future__ import annotations

import re
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from dropship_conformance.checks import ids, registry
from dropship_conformance.checks.feed import found_rels
from dropship_conformance.checks.primitives import JSON
from dropship_conformance.checks.registry import Observation, none_of, register
from dropship_conformance.client import Reply
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.feed.atom import FH_NS, FeedDocument, first_difference
from dropship_conformance.feed.rules import (
    ARCHIVE_ENTRIES,
    MAX_ENTRIES,
    DocumentContext,
    Violation,
    check,
)
from dropship_conformance.verdicts import Expect


@check(ids.DS_ARCH_001, "archive")
def archive_holds_at_most_fifty(ctx: DocumentContext) -> Iterator[Violation]:
    """001 GET Order Feed Archives: an archive gives access to "up to 50" entries."""
    count = len(ctx.feed.entries)
    if count > MAX_ENTRIES:
        yield Violation(
            ids.DS_ARCH_001, f"archive entries: expected at most {MAX_ENTRIES}, found {count}"
        )


@check(ids.DS_ARCH_011, "archive")
def archive_holds_fifty(ctx: DocumentContext) -> Iterator[Violation]:
    """002 Step 2: a page is archived when it holds 50 events (SHOULD, DEV-ARCHIVE-SIZE)."""
    count = len(ctx.feed.entries)
    if count < ARCHIVE_ENTRIES:
        yield Violation(
            ids.DS_ARCH_011,
            f"archive entries: expected exactly {ARCHIVE_ENTRIES}, found {count}",
        )


@check(ids.DS_ARCH_003, "archive")
def archive_links(ctx: DocumentContext) -> Iterator[Violation]:
    """000/001 Feed tables: self and current. next-archive (absent from the newest archive
    at most warned, DEV-ARCHIVE-NEXT) and prev-archive (absent from the oldest) depend on
    where the page is, which one page cannot tell: the walk judges them (DS-ARCH-004/009)."""
    missing = [rel for rel in ("self", "current") if rel not in ctx.feed.links]
    if missing:
        yield Violation(
            ids.DS_ARCH_003,
            f"archive document: expected link rel={', rel='.join(missing)}, found rels "
            f"{found_rels(ctx.feed)}",
        )


@check(ids.DS_ARCH_006)
def archive_marked(ctx: DocumentContext) -> Iterator[Violation]:
    """RFC 5005 section 4: archive documents SHOULD contain fh:archive in the feed head;
    the current document is no archive and carries none."""
    if ctx.role == "archive" and not ctx.feed.is_archive:
        yield Violation(
            ids.DS_ARCH_006,
            f"archive document: expected a {{{FH_NS}}}archive child of atom:feed, found none",
        )
    if ctx.role == "current" and ctx.feed.is_archive:
        yield Violation(
            ids.DS_ARCH_006,
            f"current document: expected no {{{FH_NS}}}archive element, found one",
        )


# ----- what the walk observed (feed/walk.py walks the pages)

# Messages kept per requirement: enough to explain, bounded for a 100,000-event feed.
KEPT_MESSAGES = 20
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_SUPPLIER_PATH = re.compile(r"/Suppliers\([^/)]*\)/Notifications$")
NormalUrl = tuple[str, str, int | None, str, str]

#: What each walk rule needs the walk to observe; the reason a rule stays unjudged.
NEEDS = {
    ids.DS_ARCH_004: "a prev-archive link followed and the next-archive of that archive compared",
    ids.DS_ARCH_005: "the walk reaching the oldest archive",
    ids.DS_ARCH_009: "a prev-archive link on the current document and an oldest archive reached",
    ids.DS_ARCH_010: "an archive page fetched through the feed's links",
    ids.DS_ARCH_012: "the newest archive reached from the current document",
    ids.DS_ARCH_013: "an archive page's entries compared with those of the pages walked",
    ids.DS_ARCH_014: "an archive page fetched through the feed's links",
    ids.DS_FEED_015: "a page boundary with dated entries on both sides",
}
#: Rules judged on each page read (document-local rules, the current link): an archive page.
PAGE_NEEDS = "an archive page read"


def _percent(text: str) -> str:
    """RFC 3986 §6.2.2.1-2: hex digits upper-case, unreserved characters decoded."""

    def normal(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _PERCENT.sub(normal, text)


def normal_url(url: str) -> NormalUrl | None:
    """``url`` as HTTP compares URIs (RFC 9110 §4.2.3): scheme and host case-insensitive, the
    default port made explicit, percent-encoding normalised, an empty path "/"; None when it
    is not an absolute http(s) URI."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return (
        scheme,
        parts.hostname.lower(),
        port or _DEFAULT_PORTS[scheme],
        _percent(parts.path) or "/",
        _percent(parts.query),
    )


def _shown_origin(url: NormalUrl) -> str:
    return f"{url[0]}://{url[1]}:{url[2]}"


@dataclass(frozen=True)
class FeedScope:
    """Where the configured supplier's feed lives: what a link of one of its pages may name.

    DEV-BASE-V1: 001 gives its endpoints without /v1 while every feed link of every document
    carries it, so the base with or without a final /v1 segment names the same API.
    """

    notifications_url: str
    endpoints: frozenset[NormalUrl]

    @classmethod
    def of(cls, notifications_url: str) -> FeedScope:
        configured = normal_url(notifications_url)
        if configured is None or not _SUPPLIER_PATH.search(configured[3]):
            raise ValueError(f"not a Notifications URL: {notifications_url!r}")
        path = configured[3]
        base, tail = path[: path.rindex("/Suppliers(")], path[path.rindex("/Suppliers(") :]
        other = base.removesuffix("/v1") if base.endswith("/v1") else f"{base}/v1"
        return cls(
            notifications_url,
            frozenset({configured, (*configured[:3], other + tail, configured[4])}),
        )

    @property
    def origin(self) -> tuple[str, str, int | None]:
        return next(iter(self.endpoints))[:3]

    def is_endpoint(self, href: str) -> bool:
        """``href`` names the supplier's Notifications endpoint (000 §Feed "link current")."""
        return normal_url(href) in self.endpoints

    def followable(self, href: str) -> bool:
        """``href`` may be fetched with the token: an absolute URI on the configured origin."""
        url = normal_url(href)
        return url is not None and url[:3] == self.origin

    def link_problem(self, rel: str, href: str) -> str | None:
        """Why ``href`` is no link of this feed (DS-ARCH-010); None when it is one."""
        url = normal_url(href)
        if url is None:
            return f"link rel={rel} {href!r} is not an absolute http(s) URI"
        if url[:3] != self.origin:
            return (
                f"link rel={rel} {href!r} points to another origin ({_shown_origin(url)}) than "
                f"the configured dropship URL ({_shown_origin(next(iter(self.endpoints)))}); "
                "not followed, the token goes to the configured origin only"
            )
        if not any(
            url[3] == endpoint[3] or url[3].startswith(endpoint[3] + "/")
            for endpoint in self.endpoints
        ):
            return (
                f"link rel={rel} {href!r} is not under the supplier's feed "
                f"{self.notifications_url!r}"
            )
        return None


@dataclass
class WalkResult:
    """What the walk saw, the rules it observed and the problems it found."""

    pages: int = 0
    archives: int = 0
    entries: int = 0
    entry_ids: set[int | str] = field(default_factory=set, repr=False)
    judged: set[str] = field(default_factory=set)
    problems: dict[str, list[str]] = field(default_factory=dict)
    current_self: str | None = None
    current_urls: frozenset[NormalUrl] = frozenset()
    newest_urls: frozenset[NormalUrl | None] = frozenset()
    oldest_url: str | None = None
    stopped: str | None = None
    #: Set when a page or time bound, not the feed, ended the walk: the run is then incomplete.
    bound: str | None = None

    def judge(self, requirement_id: str, problem: str | None = None) -> None:
        self.judged.add(requirement_id)
        if problem is not None:
            kept = self.problems.setdefault(requirement_id, [])
            if len(kept) < KEPT_MESSAGES:
                kept.append(problem)
            elif len(kept) == KEPT_MESSAGES:
                kept.append("... more of the same not shown")

    def stop(self, reason: str) -> WalkResult:
        self.stopped = reason
        return self

    def stop_at_bound(self, reason: str) -> WalkResult:
        self.bound = reason
        return self.stop(reason)

    def unjudged_reason(self, requirement_id: str) -> str:
        """Why ``requirement_id`` was not judged: what it needs, and where the walk stopped."""
        need = NEEDS.get(requirement_id, PAGE_NEEDS)
        return f"{requirement_id} needs {need}; {self.stopped or 'the walk did not observe it'}"

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
class Seen:
    """The facts of a visited page that the next step of the walk needs."""

    url: str
    self_link: str | None
    prev: str | None
    next: str | None
    oldest: datetime | None
    newest: datetime | None


def judge_step(newer: Seen, page: Seen, current_url: str, result: WalkResult) -> None:
    """The rules one step back shows: next-archive names the newer page, and no entry of the
    archive is newer than the newer page's oldest. The newest archive may leave next-archive
    out (DEV-ARCHIVE-NEXT: only the 000 example names the current page there)."""
    newest = newer.url == current_url
    expected = result.current_urls if newest else {normal_url(newer.self_link or newer.url)}
    if newest:
        result.judge(
            ids.DS_ARCH_012,
            None
            if page.next is not None
            else f"{page.url}: the newest archive has no next-archive link naming the current "
            "document",
        )
    if (page.next is None and not newest) or (
        page.next is not None and normal_url(page.next) not in expected
    ):
        result.judge(
            ids.DS_ARCH_004,
            f"{page.url}: next-archive {page.next!r}, expected the self link of the page "
            f"whose prev-archive led here ({newer.self_link!r})",
        )
    result.judge(ids.DS_ARCH_004)
    if page.newest and newer.oldest:
        result.judge(ids.DS_FEED_015)
        if page.newest > newer.oldest:
            result.judge(
                ids.DS_FEED_015,
                f"{page.url}: holds an entry updated {page.newest.isoformat()}, newer than the "
                f"oldest entry {newer.oldest.isoformat()} of the newer page {newer.url}",
            )


register((ids.DS_ARCH_012, ids.DS_ARCH_004, ids.DS_FEED_015), judge_step)


def judge_prev_names_itself(page: Seen, result: WalkResult) -> bool:
    """An archive whose prev-archive names the page itself (its URL or its self link): RFC 5005
    §4 "prev-archive" - "A URI that refers to the immediately preceding archive document", and
    no document precedes itself, so nothing precedes this one: it is the oldest archive, and it
    carries a prev-archive (DS-ARCH-009). True when it does; the walk then stops there."""
    prev = normal_url(page.prev or "")
    if prev is None or prev not in {normal_url(page.url), normal_url(page.self_link or "")}:
        return False
    result.judge(
        ids.DS_ARCH_009,
        f"{page.url}: prev-archive {page.prev!r} names the page itself; no archive precedes "
        "it, so as the oldest archive it carries no prev-archive link",
    )
    return True


register((ids.DS_ARCH_009,), judge_prev_names_itself)


# ----- what the suites observe across documents


def equal(found: object, expected: object, what: str) -> Observation:
    return Observation(found == expected, f"{what} = {expected!r}", f"{what} = {found!r}")


def _walked_clean(walked: WalkResult, requirement_id: str) -> Observation:
    return none_of(
        walked.problems.get(requirement_id, []),
        f"no violation on {walked.pages} pages ({walked.archives} archives, "
        f"{walked.entries} entries)",
    )


def judge_walk(expect: Expect, walked: WalkResult, requirement_id: str) -> bool:
    """The walk's verdict on ``requirement_id`` (a walk rule or a document rule of its pages);
    not checked when the walk did not observe what the rule needs."""
    if requirement_id not in walked.judged:
        raise SetupImpossible(walked.unjudged_reason(requirement_id))
    return registry.Check((requirement_id,), _walked_clean)(expect, walked, requirement_id)


@registry.check(ids.DS_ARCH_005)
def every_entry_walked(walked: WalkResult, entries: int) -> Observation:
    return equal(len(walked.entry_ids), entries, "distinct entries walked")


@registry.check(ids.DS_ARCH_002)
def archive_unchanged(url: str, before: Reply, after: Reply) -> Observation:
    difference = first_difference(before.content, after.content)
    return Observation(
        before.status == after.status == 200 and difference is None,
        f"{url} identical when fetched twice (a new event in between)",
        difference or f"statuses {before.status}, {after.status}",
    )


@registry.check(ids.DS_ARCH_007)
def self_link_is_the_document(self_link: str, current: bytes, again: Reply) -> Observation:
    difference = (
        first_difference(current, again.content)
        if again.status == 200
        else f"status {again.status}"
    )
    return Observation(
        difference is None, f"GET {self_link} returns the current document", difference or ""
    )


@registry.check(ids.DS_ARCH_008)
def paged_as_expected(found: object, expected: object, what: str) -> Observation:
    """The current document and the newest archive around the 50th and 51st event."""
    return equal(found, expected, what)


@registry.check(ids.DS_ARCH_009)
def links_to_its_archive(document: FeedDocument) -> Observation:
    return Observation(
        document.link("prev-archive") is not None,
        "a prev-archive link on the current document",
        f"links {document.links}",
    )


@registry.check(ids.DS_FEED_009)
def at_most_a_page(entries: int, when: str = "") -> Observation:
    return Observation(entries <= MAX_ENTRIES, f"at most {MAX_ENTRIES} entries{when}", f"{entries}")


@registry.check(ids.DS_ARCH_001)
def newest_archive_at_most_a_page(archive: FeedDocument) -> Observation:
    return Observation(
        len(archive.entries) <= MAX_ENTRIES,
        f"the newest archive holds at most {MAX_ENTRIES} entries",
        f"{len(archive.entries)}",
    )


@registry.check(ids.DS_ARCH_011)
def fiftieth_joins_the_page(at49: FeedDocument, at50: FeedDocument) -> Observation:
    return Observation(
        len(at50.entries) == ARCHIVE_ENTRIES
        and at50.link("prev-archive") == at49.link("prev-archive"),
        "the 50th entry joins the current document: no page archived at 49",
        f"{len(at50.entries)} entries, prev-archive {at50.link('prev-archive')!r}",
    )


@registry.check(ids.DS_ARCH_011)
def newest_archive_full(archive: FeedDocument) -> Observation:
    return equal(len(archive.entries), ARCHIVE_ENTRIES, "entries of the newest archive")


@registry.check(ids.DS_ERR_002)
def page_id_refused(reply: Reply) -> Observation:
    message = reply.json().get("Message") if reply.media_type == JSON else None
    return Observation(
        reply.status == 400 and message == "The request is invalid",
        '400 with Message "The request is invalid"',
        f"{reply.status} {reply.text[:200]!r}",
    )


@registry.check(ids.DS_FEED_010)
def links_name_the_suppliers_feed(
    currents: list[str], selves: list[str], scope: FeedScope
) -> Observation:
    """000 §Feed: link current is the "Link to the order feed endpoint", link self the page's
    own URI; a link to another origin is a finding, never followed."""
    problems = [
        f"link rel=current {href!r} is not {scope.notifications_url!r}"
        for href in currents
        if not scope.is_endpoint(href)
    ]
    problems += [p for href in selves if (p := scope.link_problem("self", href)) is not None]
    return none_of(problems, f"current names {scope.notifications_url}, self a page of that feed")
