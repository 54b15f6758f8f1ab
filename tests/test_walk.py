"""The archive walk judges only what it observed, never follows a link off the target's origin,
and ends an endless feed within its page, time and memory bounds.

Each case serves hand-made feed pages through an httpx MockTransport; every rule the walk judges
is broken by one of them, so that no walk rule can pass vacuously.
"""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Callable

import httpx
import pytest

from dropship_conformance.client import Recorder, Reply, TargetError
from dropship_conformance.feed.walk import (
    NEEDS,
    FeedScope,
    WalkResult,
    bounded_recording,
    normal_url,
    walk,
)

from .test_feed_reader import FEED_URL, archive_entries, entry, feed, guid, page_url, stamp

PER_PAGE = 50
EVIL = "https://evil.example"
Pages = Callable[[str], bytes | None]


class Server:
    """Serves ``pages(url)`` as Atom (404 when None) and remembers every URL asked for."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.requested: list[str] = []
        self.client = httpx.Client(transport=httpx.MockTransport(self._answer))

    def _answer(self, request: httpx.Request) -> httpx.Response:
        body = self.pages(str(request.url))
        if body is None:
            return httpx.Response(404, json={"Message": "not found"})
        return httpx.Response(200, content=body, headers={"content-type": "application/atom+xml"})

    def fetch(self, url: str) -> Reply:
        self.requested.append(url)
        response = self.client.get(url)
        return Reply(response.status_code, response.headers, response.content, url)


def page_links(page: int, newest_archive: int | None) -> dict[str, str]:
    """The links of page ``page`` of a chain whose newest archive is ``newest_archive``."""
    links = {"current": FEED_URL, "self": page_url(page)}
    if page > 1:
        links["prev-archive"] = page_url(page - 1)
    if newest_archive is None or page <= newest_archive:
        links["next-archive"] = page_url(page + 1)
    return links


def page(number: int, newest_archive: int | None, **edits: str) -> bytes:
    """Archive ``number`` (50 entries) or, past ``newest_archive``, the current page (2)."""
    first = number * PER_PAGE
    is_archive = newest_archive is None or number <= newest_archive
    entries = archive_entries(PER_PAGE, first) if is_archive else [entry(first + 1), entry(first)]
    links = {**page_links(number, newest_archive), **edits}
    return feed(
        entries,
        updated=stamp(first + (PER_PAGE - 1 if is_archive else 1)),
        links={rel: href for rel, href in links.items() if href},
        archive=is_archive,
        feed_id=f"urn:uuid:{guid(number, 'ffff')}",
    )


def chain(archives: int, edit: Callable[[int], dict[str, str]] = lambda _: {}) -> Pages:
    """A feed of ``archives`` archive pages and a current page; ``edit(page)`` changes links."""
    current = archives + 1
    served = {page_url(n): page(n, archives, **edit(n)) for n in range(1, current + 1)}
    served[FEED_URL] = served[page_url(current)]
    return served.get


def endless(url: str) -> bytes | None:
    """Every page has a prev-archive to a fresh, older page: the chain never ends."""
    number = 10**5 if url == FEED_URL else int(url.rsplit("-", 1)[1].rstrip(")"), 16)
    return page(number, None)


def walked(pages: Pages, **bounds: float) -> tuple[WalkResult, Server]:
    server = Server(pages)
    return walk(server.fetch, FEED_URL, **bounds), server  # type: ignore[arg-type]


# ----- a conformant feed, and one without archives


def test_a_conformant_feed_is_judged_on_every_walk_rule_without_a_problem() -> None:
    result, server = walked(chain(3))
    assert result.problems == {}
    assert (result.pages, result.archives) == (4, 3)
    assert set(NEEDS) | {"DS-FEED-010", "DS-ARCH-001", "DS-ARCH-003"} <= result.judged
    assert result.oldest_url == page_url(1)
    assert len(result.entry_ids) == 3 * PER_PAGE + 2
    # Back through prev-archive, then forward through next-archive to the current page.
    assert server.requested == [FEED_URL, *map(page_url, (3, 2, 1, 2, 3, 4))]


def test_a_feed_without_archive_judges_no_walk_rule() -> None:
    """The vacuous pass of issue 10: "1 pages (0 entries)" passed DS-ARCH-004/005/009/010."""
    result, _ = walked(chain(0))
    assert result.problems == {}
    assert result.judged == set()
    assert "no prev-archive link" in (result.stopped or "")
    for requirement_id in NEEDS:
        assert NEEDS[requirement_id] in result.unjudged_reason(requirement_id)


# ----- each walk rule fails on a feed that breaks it


BROKEN: dict[str, Callable[[int], dict[str, str]]] = {
    # next-archive of archive 2 names itself, not archive 3.
    "DS-ARCH-004": lambda n: {"next-archive": page_url(2)} if n == 2 else {},
    # archive 2's prev-archive names a page of another origin.
    "DS-ARCH-010": lambda n: (
        {"prev-archive": f"{EVIL}/v1/Suppliers(60455)/Pages(x)"} if n == 2 else {}
    ),
    # archive 2's current link names another supplier's feed.
    "DS-FEED-010": lambda n: {"current": FEED_URL.replace("60455", "14107")} if n == 2 else {},
}


@pytest.mark.parametrize("requirement_id", sorted(BROKEN))
def test_a_broken_link_is_a_finding(requirement_id: str) -> None:
    result, _ = walked(chain(3, BROKEN[requirement_id]))
    assert requirement_id in result.problems, result.problems


def test_an_archive_entry_newer_than_the_newer_page_breaks_ds_feed_015() -> None:
    served = chain(2)

    def pages(url: str) -> bytes | None:
        body = served(url)
        # The oldest archive claims a timestamp later than every entry of archive 2.
        return body.replace(stamp(50).encode(), stamp(10_000).encode()) if body else None

    result, _ = walked(pages)
    assert "DS-FEED-015" in result.problems


def test_an_entry_on_two_pages_is_warned_not_missing() -> None:
    """DEV-ARCHIVE-REPEATS: a repeat loses nothing (DS-ARCH-005); it is warned (DS-ARCH-013)."""
    served = chain(2)
    repeated = entry(2 * PER_PAGE + 1)

    def pages(url: str) -> bytes | None:
        body = served(url)
        if url == page_url(1) and body:
            return body.replace(b"</feed>", repeated.encode() + b"</feed>")
        return body

    result, _ = walked(pages)
    assert "DS-ARCH-013" in result.problems
    assert "DS-ARCH-005" not in result.problems
    assert "DS-ARCH-005" in result.judged


def test_a_prev_archive_loop_is_found_and_not_walked_forever() -> None:
    result, server = walked(chain(3, lambda n: {"prev-archive": page_url(3)} if n == 2 else {}))
    assert "DS-ARCH-004" in result.problems
    assert len(server.requested) < 10
    assert "DS-ARCH-009" not in result.judged


def test_an_oldest_archive_whose_prev_archive_names_itself_breaks_ds_arch_009() -> None:
    """RFC 5005 §4: prev-archive names "the immediately preceding archive document"; no page
    precedes itself, so the oldest archive carries a prev-archive: DS-ARCH-009, not a loop."""
    result, server = walked(chain(3, lambda n: {"prev-archive": page_url(1)} if n == 1 else {}))
    assert set(result.problems) == {"DS-ARCH-009"}, result.problems
    assert "names the page itself" in result.problems["DS-ARCH-009"][0]
    assert result.oldest_url == page_url(1)
    assert "DS-ARCH-005" in result.judged
    assert server.requested == [FEED_URL, *map(page_url, (3, 2, 1, 2, 3, 4))]


def test_an_archive_without_an_answer_is_a_finding() -> None:
    server = Server(chain(2))

    def fetch(url: str) -> Reply:
        if url == page_url(1):
            raise TargetError(f"GET {url}: no complete answer within 15 s")
        return server.fetch(url)

    result = walk(fetch, FEED_URL)
    assert any("no complete answer" in p for p in result.problems["DS-ARCH-010"])
    assert "DS-ARCH-009" not in result.judged


# ----- other origins: findings, never followed


@pytest.mark.parametrize("rel", ["prev-archive", "next-archive", "self", "current"])
def test_a_link_to_another_origin_is_a_finding_and_never_followed(rel: str) -> None:
    foreign = f"{EVIL}/v1/Suppliers(60455)/Notifications/Pages({guid(7, 'aaaa')})"
    result, server = walked(chain(2, lambda n: {rel: foreign} if n in (2, 3) else {}))
    assert any("another origin" in p for p in result.problems["DS-ARCH-010"])
    assert not [url for url in server.requested if url.startswith(EVIL)]


def test_a_link_outside_the_suppliers_feed_is_a_finding() -> None:
    """Same origin, so it may be fetched, but not a page of supplier 60455's feed."""
    other = page_url(1).replace("(60455)", "(14107)")
    result, _ = walked(chain(2, lambda n: {"self": other} if n == 1 else {}))
    assert any("not under the supplier's feed" in p for p in result.problems["DS-ARCH-010"])


def test_relative_links_are_resolved_against_their_document_and_warned() -> None:
    """DEV-ARCHIVE-HREFS: RFC 4287 takes IRI references; every page's links path-absolute."""
    origin = "https://dropshipdemo.iqmetrix.net"
    served = chain(2)

    def pages(url: str) -> bytes | None:
        body = served(url)
        return body.replace(f'href="{origin}/'.encode(), b'href="/') if body else None

    result, server = walked(pages)
    assert result.archives == 2
    assert "DS-ARCH-014" in result.problems
    assert not {"DS-ARCH-010", "DS-ARCH-004", "DS-FEED-010"} & set(result.problems)
    assert server.requested == [FEED_URL, *map(page_url, (2, 1, 2, 3))]


def test_a_relative_link_resolving_outside_the_feed_is_a_finding() -> None:
    """From archive 3, "../Orders" resolves to .../Suppliers(60455)/Orders: no page of the feed."""
    result, _ = walked(chain(2, lambda n: {"prev-archive": "../Orders"} if n == 3 else {}))
    assert any("not under the supplier's feed" in p for p in result.problems["DS-ARCH-010"])
    assert result.archives == 0


def test_the_newest_archive_may_leave_next_archive_out() -> None:
    """DEV-ARCHIVE-NEXT: only the 000 example names the current page there (DS-ARCH-012)."""
    result, _ = walked(chain(3, lambda n: {"next-archive": ""} if n == 3 else {}))
    assert set(result.problems) == {"DS-ARCH-012"}
    assert {"DS-ARCH-004", "DS-ARCH-005", "DS-ARCH-009"} <= result.judged


def test_a_middle_archive_without_next_archive_breaks_ds_arch_004() -> None:
    result, _ = walked(chain(3, lambda n: {"next-archive": ""} if n == 2 else {}))
    assert "DS-ARCH-004" in result.problems
    assert "DS-ARCH-012" not in result.problems


# ----- bounds


def test_an_endless_chain_stops_at_the_page_bound_with_a_reason() -> None:
    result, server = walked(endless, max_pages=30)
    assert result.pages == 30
    assert "--archive-max-pages" in (result.stopped or "")
    assert not {"DS-ARCH-005", "DS-ARCH-009"} & result.judged
    assert "--archive-max-pages" in result.unjudged_reason("DS-ARCH-005")
    assert len(server.requested) == 30


def test_an_endless_chain_stops_at_the_time_bound_with_a_reason() -> None:
    ticks = itertools.count()
    server = Server(endless)
    result = walk(server.fetch, FEED_URL, max_seconds=12, clock=lambda: float(next(ticks)))
    assert "--archive-max-seconds" in (result.stopped or "")
    assert result.pages <= 12


def test_an_endless_chain_walks_in_bounded_memory() -> None:
    """Issue 12: the walk grew about 1 MB/s; now it holds one page and an int per entry."""
    server = Server(endless)
    tracemalloc.start()
    try:
        result = walk(server.fetch, FEED_URL, max_pages=100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.pages == 100
    # A page is about 53 KB: holding the 100 pages alone would take more than 5 MB.
    assert peak < 4_000_000, f"peak {peak / 1e6:.1f} MB"


def test_bounded_recording_keeps_the_first_and_the_newest_exchanges() -> None:
    recorder = Recorder()
    counter = itertools.count()

    def fetch(url: str) -> Reply:
        recorder.exchanges.append(next(counter))  # type: ignore[arg-type]
        return Reply(200, httpx.Headers(), b"", url)

    bounded = bounded_recording(fetch, recorder, keep=10)
    for _ in range(1000):
        bounded(FEED_URL)
    assert recorder.exchanges == [0, 1, 2, 3, 4, 995, 996, 997, 998, 999]


# ----- comparing URLs as HTTP does


@pytest.mark.parametrize(
    "href",
    [
        FEED_URL,
        "HTTPS://DropshipDemo.IQMETRIX.net:443/v1/Suppliers(60455)/Notifications",
        "https://dropshipdemo.iqmetrix.net/v1/Suppliers(60455)/%4eotifications",
        "https://dropshipdemo.iqmetrix.net/Suppliers(60455)/Notifications",
    ],
)
def test_the_notifications_endpoint_in_equivalent_spellings(href: str) -> None:
    assert FeedScope.of(FEED_URL).is_endpoint(href)


@pytest.mark.parametrize(
    "href",
    [
        "http://dropshipdemo.iqmetrix.net/v1/Suppliers(60455)/Notifications",
        "https://dropshipdemo.iqmetrix.net:8443/v1/Suppliers(60455)/Notifications",
        "https://dropshipdemo.iqmetrix.net/v1/suppliers(60455)/Notifications",
        "https://dropshipdemo.iqmetrix.net/v1/Suppliers(14107)/Notifications",
        "https://dropshipdemo.iqmetrix.net/v1/Suppliers(60455)/Notifications/Pages(x)",
        "/v1/Suppliers(60455)/Notifications",
    ],
)
def test_other_uris_are_not_the_notifications_endpoint(href: str) -> None:
    assert not FeedScope.of(FEED_URL).is_endpoint(href)


def test_a_base_without_v1_accepts_links_with_it() -> None:
    """DEV-BASE-V1: 001's endpoints have no /v1 while every feed link carries it."""
    scope = FeedScope.of("http://127.0.0.1:8080/Suppliers(60455)/Notifications")
    assert scope.is_endpoint("http://127.0.0.1:8080/v1/Suppliers(60455)/Notifications")
    assert scope.link_problem("self", "http://127.0.0.1/v1/Suppliers(60455)/Notifications")


def test_normal_url_refuses_what_is_not_an_absolute_http_uri() -> None:
    assert normal_url("ftp://host/x") is None
    assert normal_url("//host/x") is None
    assert normal_url("https://host:99999/") is None
    assert normal_url("https://Host") == ("https", "host", 443, "/", "")
