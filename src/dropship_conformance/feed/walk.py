"""Walking an archived feed (RFC 5005 §4): current document -> prev-archive ... -> oldest,
then back through next-archive, judging every page on the way.

A walk rule counts as judged only when the walk observed what it names: an archive page
fetched, a prev-archive link followed and the next-archive back compared, a page boundary with
dated entries on both sides, the oldest archive reached. A feed without archives judges none of
them; :attr:`WalkResult.stopped` says why the walk ended where it did.

Every link is checked before it is followed: a link that is not an absolute URI of this
supplier's feed under the configured dropship URL is a DS-ARCH-010 finding, and a link to
another origin is never followed (the bearer token goes only to the configured origin).

The walk is bounded in pages and in time (:data:`MAX_PAGES`, :data:`MAX_SECONDS`; the
``--archive-max-pages`` and ``--archive-max-seconds`` options raise them) and streams: it holds
one page at a time (and the next one, fetched while this one is judged) plus the facts the next
step needs. What grows with the walk is bounded by
the page bound: the visited page URLs and the entry ids (an integer per entry) without which
"no entry twice" and loops cannot be seen.
"""

from __future__ import annotations

import re
import string
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from dropship_conformance.client import Recorder, Reply, TargetError
from dropship_conformance.feed.atom import FeedDocument, NotAnAtomFeed, read_feed_root
from dropship_conformance.feed.rules import CHECKS, MAX_ENTRIES, Role, check_root
from dropship_conformance.feed.xmlsafe import UnsafeOrInvalidXML, parse_xml

ATOM = "application/atom+xml"
#: Default bounds of one walk: 5,000 pages is a quarter of a million events, and 300 s
#: is ample for it against a target answering in tens of milliseconds.
MAX_PAGES = 5_000
MAX_SECONDS = 300.0
# Messages kept per requirement: enough to explain, bounded for a 100,000-event feed.
KEPT_MESSAGES = 20
# Exchanges of a walk kept for the report: the first pages and the last ones, where a walk
# goes wrong; the pages in between would only grow the report and the memory.
KEPT_EXCHANGES = 40
FEED_LINKS = ("self", "current", "prev-archive", "next-archive")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_SUPPLIER_PATH = re.compile(r"/Suppliers\([^/)]*\)/Notifications$")

Fetch = Callable[[str], Reply]
NormalUrl = tuple[str, str, int | None, str, str]

#: What each walk rule needs the walk to observe; the reason a rule stays unjudged.
NEEDS = {
    "DS-ARCH-004": "a prev-archive link followed and the next-archive of that archive compared",
    "DS-ARCH-005": "the walk reaching the oldest archive",
    "DS-ARCH-009": "a prev-archive link on the current document and an oldest archive reached",
    "DS-ARCH-010": "an archive page fetched through the feed's links",
    "DS-ARCH-012": "the newest archive reached from the current document",
    "DS-ARCH-013": "an archive page's entries compared with those of the pages walked",
    "DS-ARCH-014": "an archive page fetched through the feed's links",
    "DS-FEED-015": "a page boundary with dated entries on both sides",
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
class _Seen:
    """The facts of a visited page that the next step of the walk needs."""

    url: str
    self_link: str | None
    prev: str | None
    next: str | None
    oldest: datetime | None
    newest: datetime | None


class _Ahead:
    """``fetch`` that can start the next page while the walk judges this one.

    Backwards, judging a page costs about what fetching one does, so the two overlap: once a
    page is parsed its prev-archive is asked for (:meth:`ahead`) before its rules are judged.
    Fetches still run one at a time and in the walk's order, on one thread, and each answer
    or error reaches the walk where a plain fetch would have returned or raised it; the walk
    holds at most one page more.
    """

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="archive-walk-fetch")
        self._pending: tuple[str, Future[Reply]] | None = None

    def ahead(self, url: str) -> None:
        if self._pending is None:
            self._pending = (url, self._thread.submit(self._fetch, url))

    def __call__(self, url: str) -> Reply:
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] == url:
            return pending[1].result()
        if pending is not None:
            pending[1].exception()  # one fetch at a time: an unused one ends first
        return self._fetch(url)

    def close(self) -> None:
        """Let a page fetched ahead and not used finish (bounded by the fetch's own timeout),
        so that no request of this walk outlives it."""
        self._thread.shutdown(wait=True)
        self._pending = None


@dataclass
class _Walk:
    """One walk's fixed inputs and its bounds."""

    fetch: _Ahead
    scope: FeedScope
    result: WalkResult
    max_pages: int
    deadline: float
    clock: Callable[[], float]
    visited: set[NormalUrl] = field(default_factory=set)

    def bound_hit(self) -> str | None:
        if self.result.pages >= self.max_pages:
            return (
                f"the walk stopped at the page bound ({self.max_pages} pages, "
                "--archive-max-pages) before the oldest archive"
            )
        if self.clock() >= self.deadline:
            return (
                f"the walk stopped at its time bound (--archive-max-seconds) after "
                f"{self.result.pages} pages, before the oldest archive"
            )
        return None

    def get(self, url: str, rel: str) -> Reply | None:
        """GET ``url``; None when the target gave no answer in bounds (the reason recorded: a
        page reached through a link must answer, DS-ARCH-010)."""
        try:
            return self.fetch(url)
        except TargetError as error:
            self.result.stopped = f"GET {url} ({rel}): {error}"
            if rel != "current":
                self.result.judge("DS-ARCH-010", self.result.stopped)
            return None

    def read(self, url: str, role: Role) -> FeedDocument | None:
        """Fetch and judge one page; None (with the finding recorded) when it is unusable."""
        result = self.result
        reply = self.get(url, "current" if role == "current" else "prev-archive")
        if reply is None:
            return None
        if reply.status != 200 or reply.media_type != ATOM:
            problem = (
                f"GET {url}: expected 200 {ATOM}, found {reply.status} "
                f"{reply.headers.get('content-type')!r}"
            )
            if role == "archive":
                result.judge("DS-ARCH-010", problem)
            result.stopped = problem
            return None
        try:
            root = parse_xml(reply.content)
            document = read_feed_root(root)
        except (UnsafeOrInvalidXML, NotAnAtomFeed) as error:
            result.judge("DS-FEED-002", f"{url}: {error}")
            result.stopped = f"{url} is no readable Atom feed"
            return None
        self._fetch_ahead(url, document)
        if role == "archive":
            result.judged.update(c.requirement_id for c in CHECKS if "archive" in c.roles)
            result.judge("DS-ARCH-010")
            result.judge("DS-ARCH-014")
            result.judge("DS-FEED-010")
        for violation in check_root(root, role):
            result.judge(violation.requirement_id, f"{url}: {violation.message}")
        self._judge_links(url, document)
        result.pages += 1
        return document

    def _fetch_ahead(self, url: str, document: FeedDocument) -> None:
        """Start fetching the page :meth:`follow` will want next, if it will want one: within
        the page bound, followable, and not walked yet."""
        href = _resolved(url, document.link("prev-archive"))
        if href is None or self.result.pages + 1 >= self.max_pages:
            return
        key = normal_url(href)
        if key is not None and self.scope.followable(href) and key not in self.visited:
            self.fetch.ahead(href)

    def _judge_links(self, url: str, document: FeedDocument) -> None:
        for rel in FEED_LINKS:
            for href in document.links.get(rel, []):
                resolved = _resolved(url, href)
                if normal_url(href) is None and normal_url(resolved) is not None:
                    self.result.judge(
                        "DS-ARCH-014",
                        f"{url}: link rel={rel} {href!r} is a relative reference (resolved "
                        f"against the document: {resolved!r})",
                    )
                problem = self.scope.link_problem(rel, resolved)
                if problem is not None:
                    self.result.judge("DS-ARCH-010", f"{url}: {problem}")
        for href in document.links.get("current", []):
            if not self.scope.is_endpoint(_resolved(url, href)):
                self.result.judge(
                    "DS-FEED-010",
                    f"{url}: link rel=current {href!r}, expected the supplier's Notifications "
                    f"endpoint {self.scope.notifications_url!r}",
                )

    def follow(self, href: str, rel: str, newer: str) -> str | None:
        """The URL to fetch for ``href``, or None (the reason in ``stopped``) to stop here."""
        key = normal_url(href)
        if key is None or not self.scope.followable(href):
            # The page's DS-ARCH-010 finding is recorded; only the stop is left to say.
            self.result.stop(f"{newer}: link rel={rel} {href!r} was not followed")
            return None
        if key in self.visited:
            self.result.judge("DS-ARCH-004", f"{newer}: {rel} {href!r} leads back to a page walked")
            self.result.stop(f"{rel} links loop at {href}")
            return None
        self.visited.add(key)
        return href


def walk(
    fetch: Fetch,
    current_url: str,
    *,
    max_pages: int = MAX_PAGES,
    max_seconds: float = MAX_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> WalkResult:
    """Walk the whole feed from ``current_url`` (the configured Notifications URL) and back;
    judge every page and link within the page and time bounds."""
    scope = FeedScope.of(current_url)
    ahead = _Ahead(fetch)
    try:
        return _walk(_Walk(ahead, scope, WalkResult(), max_pages, clock() + max_seconds, clock))
    finally:
        ahead.close()


def _walk(run: _Walk) -> WalkResult:
    result, current_url = run.result, run.scope.notifications_url
    current = run.read(current_url, "current")
    if current is None:
        return result
    newer = _facts(current_url, current)
    result.current_self = newer.self_link
    # The newest archive's next-archive may name the current document by its page URI (000's
    # example) or by the subscription URI (RFC 5005 §4): both are the current document. The
    # document's own rel=current is not trusted for it: DS-FEED-010 judges that link.
    result.current_urls = run.scope.endpoints | {
        url for url in (normal_url(newer.self_link or ""),) if url is not None
    }
    run.visited.update(result.current_urls)
    _count_entries(current, current_url, result)
    if newer.prev is None:
        return result.stop("the current document has no prev-archive link: no archive to walk")
    while newer.prev is not None:
        bound = run.bound_hit()
        if bound is not None:
            return result.stop_at_bound(bound)
        url = run.follow(newer.prev, "prev-archive", newer.url)
        if url is None:
            return result
        document = run.read(url, "archive")
        if document is None:
            return result
        page = _facts(url, document)
        result.archives += 1
        if result.archives == 1:
            result.newest_urls = frozenset({normal_url(page.url), normal_url(page.self_link or "")})
        _judge_step(newer, page, current_url, result)
        result.judge("DS-ARCH-013")
        if not _count_entries(document, page.url, result):
            result.judge("DS-ARCH-004", f"{page.url}: prev-archive leads back to entries walked")
            return result.stop(f"{page.url} repeats entries already walked")
        if len(result.entry_ids) > run.max_pages * MAX_ENTRIES:
            return result.stop_at_bound(
                f"the walk stopped after {len(result.entry_ids)} entries, more than "
                f"{run.max_pages} pages (--archive-max-pages) of {MAX_ENTRIES} hold"
            )
        newer = page
    result.oldest_url = newer.url
    result.judge("DS-ARCH-009")
    result.judge("DS-ARCH-005")
    # Forward there are as many steps as archives were walked back; more means a loop.
    _walk_forward(run, newer, result.archives)
    return result


def _judge_step(newer: _Seen, page: _Seen, current_url: str, result: WalkResult) -> None:
    """The rules one step back shows: next-archive names the newer page, and no entry of the
    archive is newer than the newer page's oldest. The newest archive may leave next-archive
    out (DEV-ARCHIVE-NEXT: only the 000 example names the current page there)."""
    newest = newer.url == current_url
    expected = result.current_urls if newest else {normal_url(newer.self_link or newer.url)}
    if newest:
        result.judge(
            "DS-ARCH-012",
            None
            if page.next is not None
            else f"{page.url}: the newest archive has no next-archive link naming the current "
            "document",
        )
    if (page.next is None and not newest) or (
        page.next is not None and normal_url(page.next) not in expected
    ):
        result.judge(
            "DS-ARCH-004",
            f"{page.url}: next-archive {page.next!r}, expected the self link of the page "
            f"whose prev-archive led here ({newer.self_link!r})",
        )
    result.judge("DS-ARCH-004")
    if page.newest and newer.oldest:
        result.judge("DS-FEED-015")
        if page.newest > newer.oldest:
            result.judge(
                "DS-FEED-015",
                f"{page.url}: holds an entry updated {page.newest.isoformat()}, newer than the "
                f"oldest entry {newer.oldest.isoformat()} of the newer page {newer.url}",
            )


def _resolved(url: str, href: str | None) -> str | None:
    """``href`` resolved against the URL of the document carrying it (RFC 3986 §5; DEV-
    ARCHIVE-HREFS: the examples' absolute hrefs are not the only form RFC 4287 allows)."""
    return None if href is None else urljoin(url, href.strip())


def _facts(url: str, document: FeedDocument) -> _Seen:
    stamps = [e.updated for e in document.entries if e.updated is not None]
    return _Seen(
        url=url,
        self_link=_resolved(url, document.link("self")),
        prev=_resolved(url, document.link("prev-archive")),
        next=_resolved(url, document.link("next-archive")),
        oldest=min(stamps, default=None),
        newest=max(stamps, default=None),
    )


def _count_entries(document: FeedDocument, url: str, result: WalkResult) -> bool:
    """Count the page's entries; False when every one of them was seen before (a loop)."""
    fresh = 0
    for entry in document.entries:
        result.entries += 1
        if entry.id is None or result.saw(entry.id):
            fresh += 1
        else:
            result.judge("DS-ARCH-013", f"{url}: entry {entry.id} was already seen on a newer page")
    return fresh > 0 or not document.entries


def _walk_forward(run: _Walk, oldest: _Seen, max_steps: int) -> None:
    """From the oldest archive back to the current document through next-archive."""
    result, older = run.result, oldest
    for _ in range(max_steps + 1):
        if older.next is None:
            if {normal_url(older.url), normal_url(older.self_link or "")} & result.newest_urls:
                return  # DS-ARCH-012 warned the missing link back to the current document
            break
        if run.clock() >= run.deadline:
            result.stop_at_bound(
                "the walk forward stopped at its time bound (--archive-max-seconds)"
            )
            return
        problem = run.scope.link_problem("next-archive", older.next)
        if not run.scope.followable(older.next):
            result.judge("DS-ARCH-010", f"{older.url}: {problem}")
            return
        reply = run.get(older.next, "next-archive")
        if reply is None:
            return
        if reply.status != 200:
            result.judge("DS-ARCH-004", f"GET {older.next} (next-archive): status {reply.status}")
            return
        try:
            document = read_feed_root(parse_xml(reply.content))
        except (UnsafeOrInvalidXML, NotAnAtomFeed) as error:
            result.judge("DS-FEED-002", f"{older.next}: {error}")
            return
        page = _facts(older.next, document)
        if normal_url(page.prev or "") != normal_url(older.self_link or older.url):
            result.judge(
                "DS-ARCH-004",
                f"{page.url}: prev-archive {page.prev!r}, expected {older.self_link!r} "
                "(the page whose next-archive led here)",
            )
        if {normal_url(page.url), normal_url(page.self_link or "")} & result.current_urls:
            return
        older = page
    result.judge(
        "DS-ARCH-004",
        f"next-archive links end at {older.url} without reaching the current document "
        f"{result.current_self!r}",
    )


def bounded_recording(fetch: Fetch, recorder: Recorder, keep: int = KEPT_EXCHANGES) -> Fetch:
    """``fetch`` that keeps at most ``keep`` of the exchanges ``recorder`` holds: the first
    half and the newest, so a walk of thousands of pages does not grow memory and report."""

    def bounded(url: str) -> Reply:
        try:
            return fetch(url)
        finally:
            excess = len(recorder.exchanges) - keep
            if excess > 0:
                del recorder.exchanges[keep // 2 : keep // 2 + excess]

    return bounded


__all__ = [
    "MAX_PAGES",
    "MAX_SECONDS",
    "FeedScope",
    "WalkResult",
    "bounded_recording",
    "normal_url",
    "walk",
]
