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

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urljoin

from dropship_conformance.checks import ids
from dropship_conformance.checks.archive import (
    NEEDS,
    FeedScope,
    NormalUrl,
    Seen,
    WalkResult,
    judge_prev_names_itself,
    judge_step,
    normal_url,
)
from dropship_conformance.checks.primitives import ATOM
from dropship_conformance.checks.registry import register
from dropship_conformance.client import Recorder, Reply, TargetError
from dropship_conformance.feed.atom import FeedDocument, NotAnAtomFeed, read_feed_root
from dropship_conformance.feed.rules import MAX_ENTRIES, Role, check_root, rules_for
from dropship_conformance.feed.xmlsafe import UnsafeOrInvalidXML, parse_xml

#: Default bounds of one walk: 5,000 pages is a quarter of a million events, and 300 s
#: is ample for it against a target answering in tens of milliseconds.
MAX_PAGES = 5_000
MAX_SECONDS = 300.0
# Exchanges of a walk kept for the report: the first pages and the last ones, where a walk
# goes wrong; the pages in between would only grow the report and the memory.
KEPT_EXCHANGES = 40
FEED_LINKS = ("self", "current", "prev-archive", "next-archive")

Fetch = Callable[[str], Reply]


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
                self.result.judge(ids.DS_ARCH_010, self.result.stopped)
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
                result.judge(ids.DS_ARCH_010, problem)
            result.stopped = problem
            return None
        try:
            root = parse_xml(reply.content)
            document = read_feed_root(root)
        except (UnsafeOrInvalidXML, NotAnAtomFeed) as error:
            result.judge(ids.DS_FEED_002, f"{url}: {error}")
            result.stopped = f"{url} is no readable Atom feed"
            return None
        self._fetch_ahead(url, document)
        if role == "archive":
            result.judged.update(item.requirement_id for item in rules_for("archive"))
            result.judge(ids.DS_ARCH_010)
            result.judge(ids.DS_ARCH_014)
            result.judge(ids.DS_FEED_010)
        for violation in check_root(root, role):
            result.judge(violation.requirement_id, f"{url}: {violation.message}")
        self._judge_links(url, document)
        result.pages += 1
        return document

    def _fetch_ahead(self, url: str, document: FeedDocument) -> None:
        """Start fetching the page :meth:`follow` will want next, if it will want one: within
        the page bound, followable, and not walked yet."""
        href = _link(url, document, "prev-archive")
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
                        ids.DS_ARCH_014,
                        f"{url}: link rel={rel} {href!r} is a relative reference (resolved "
                        f"against the document: {resolved!r})",
                    )
                problem = self.scope.link_problem(rel, resolved)
                if problem is not None:
                    self.result.judge(ids.DS_ARCH_010, f"{url}: {problem}")
        for href in document.links.get("current", []):
            if not self.scope.is_endpoint(_resolved(url, href)):
                self.result.judge(
                    ids.DS_FEED_010,
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
            self.result.judge(
                ids.DS_ARCH_004, f"{newer}: {rel} {href!r} leads back to a page walked"
            )
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


# The walk's own rules; the document rules of each page it reads are registered by feed.rules.
register((*NEEDS, ids.DS_FEED_010, ids.DS_FEED_002), walk)


def walk_rules() -> list[str]:
    """Every requirement a walk judges, sorted: each archive page's document rules, the links
    of every page (DS-FEED-010) and the rules of the walk itself."""
    on_pages = {item.requirement_id for item in rules_for("archive")}
    return sorted(on_pages | set(NEEDS) | {ids.DS_FEED_010})


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
        judge_step(newer, page, current_url, result)
        result.judge(ids.DS_ARCH_013)
        if not _count_entries(document, page.url, result):
            result.judge(ids.DS_ARCH_004, f"{page.url}: prev-archive leads back to entries walked")
            return result.stop(f"{page.url} repeats entries already walked")
        if len(result.entry_ids) > run.max_pages * MAX_ENTRIES:
            return result.stop_at_bound(
                f"the walk stopped after {len(result.entry_ids)} entries, more than "
                f"{run.max_pages} pages (--archive-max-pages) of {MAX_ENTRIES} hold"
            )
        newer = page
        if judge_prev_names_itself(page, result):
            break
    result.oldest_url = newer.url
    result.judge(ids.DS_ARCH_009)
    result.judge(ids.DS_ARCH_005)
    # Forward there are as many steps as archives were walked back; more means a loop.
    _walk_forward(run, newer, result.archives)
    return result


def _resolved(url: str, href: str) -> str:
    """``href`` resolved against the URL of the document carrying it (RFC 3986 §5; DEV-
    ARCHIVE-HREFS: the examples' absolute hrefs are not the only form RFC 4287 allows)."""
    return urljoin(url, href.strip())


def _link(url: str, document: FeedDocument, rel: str) -> str | None:
    """The document's link ``rel`` resolved against ``url``; None when it has none."""
    href = document.link(rel)
    return None if href is None else _resolved(url, href)


def _facts(url: str, document: FeedDocument) -> Seen:
    stamps = [e.updated for e in document.entries if e.updated is not None]
    return Seen(
        url=url,
        self_link=_link(url, document, "self"),
        prev=_link(url, document, "prev-archive"),
        next=_link(url, document, "next-archive"),
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
            result.judge(
                ids.DS_ARCH_013, f"{url}: entry {entry.id} was already seen on a newer page"
            )
    return fresh > 0 or not document.entries


def _walk_forward(run: _Walk, oldest: Seen, max_steps: int) -> None:
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
            result.judge(ids.DS_ARCH_010, f"{older.url}: {problem}")
            return
        reply = run.get(older.next, "next-archive")
        if reply is None:
            return
        if reply.status != 200:
            result.judge(ids.DS_ARCH_004, f"GET {older.next} (next-archive): status {reply.status}")
            return
        try:
            document = read_feed_root(parse_xml(reply.content))
        except (UnsafeOrInvalidXML, NotAnAtomFeed) as error:
            result.judge(ids.DS_FEED_002, f"{older.next}: {error}")
            return
        page = _facts(older.next, document)
        if normal_url(page.prev or "") != normal_url(older.self_link or older.url):
            result.judge(
                ids.DS_ARCH_004,
                f"{page.url}: prev-archive {page.prev!r}, expected {older.self_link!r} "
                "(the page whose next-archive led here)",
            )
        if {normal_url(page.url), normal_url(page.self_link or "")} & result.current_urls:
            return
        older = page
    result.judge(
        ids.DS_ARCH_004,
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
    "NEEDS",
    "FeedScope",
    "WalkResult",
    "bounded_recording",
    "normal_url",
    "walk",
    "walk_rules",
]
