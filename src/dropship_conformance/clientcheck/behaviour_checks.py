"""Checks on the client's behaviour over the whole run: polling, archives, pace.

The polling rule (DS-CLI-010) is data, :data:`POLLING_RULE`: the documents ask suppliers to
monitor the feed but set no rate, so the thresholds are the product's, documented in README.md.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from dropship_conformance.checks import ids
from dropship_conformance.clientcheck.traffic import ClientRun, Finding, Order, Record


@dataclass(frozen=True)
class PollingRule:
    """What counts as a request storm (DS-CLI-010, SHOULD)."""

    # At most this many feed requests (current document and pages) in any window: room for
    # walking a deep backlog of archives, not for a loop without pauses.
    window_seconds: float = 1.0
    max_feed_requests_per_window: int = 20
    # The current document is not polled again sooner than this when the previous poll
    # brought nothing new (the same document); verify-client suggests this interval to the
    # client as DROPSHIP_POLL_SECONDS.
    min_unchanged_repoll_seconds: float = 0.5
    # A request that got a 4xx is not sent again unchanged sooner than this.
    min_retry_after_4xx_seconds: float = 1.0


POLLING_RULE = PollingRule()
# Findings quote at most this many requests each, so a storm does not flood the report.
QUOTED = 8


@dataclass(frozen=True)
class BehaviourCheck:
    name: str
    requirement: str
    expected: str
    # A reason there is nothing to judge in this run (the test is skipped), or None.
    not_applicable: Callable[[ClientRun], str | None]
    judge: Callable[[ClientRun], list[Finding]]
    # Whether a request-level refusal (attribution.root_cause) explains what it finds; the
    # pace of retries after a 4xx is the client's own doing whatever the 4xx was.
    follows_refusals: bool = True


def _always(run: ClientRun) -> str | None:
    return None


def _quote(records: list[Record]) -> str:
    shown = ", ".join(f"#{r.seq} at +{r.t:.2f}s" for r in records[:QUOTED])
    more = len(records) - QUOTED
    return shown + (f" and {more} more" if more > 0 else "")


def polls_the_feed(run: ClientRun) -> list[Finding]:
    """DS-CLI-001: the feed is monitored: the current document is read again and again."""
    reads = run.current_reads
    if len(reads) >= 2:
        return []
    tried = [r for r in run.records if r.is_current_read]
    return [
        Finding(
            f"the client read the current feed document (GET .../Notifications, 200) "
            f"{len(reads)} time(s) in {run.client.get('ran_seconds', 0):.1f}s "
            f"({len(tried)} request(s) for it)",
            tuple(tried[:QUOTED]),
        )
    ]


def _cutoff(run: ClientRun) -> float | None:
    """Orders created before this moment must have reached the client (see reads_every_order).

    A client stopped by verify-client had time to walk the archives behind every current
    document but its last: the cutoff is its second-to-last read. A client that ended by
    itself chose when to stop: its last read.
    """
    reads = run.current_reads
    if run.stopped_by == "exit":
        return reads[-1].t if reads else None
    return reads[-2].t if len(reads) >= 2 else None


def _cutoff_missing(run: ClientRun) -> str | None:
    if _cutoff(run) is None:
        return "the client did not read the current feed document often enough to judge"
    return None


def _missed(run: ClientRun, due: list[Order], which: str) -> list[Finding]:
    missed = [o for o in due if o.order_id not in run.received]
    if not missed:
        return []
    pages = [r for r in run.records if r.operation == "getNotificationsPage" and r.status == 200]
    archives = {r.feed["page"] for r in pages if r.feed and r.feed["archive"]}
    sample = ", ".join(o.order_id for o in missed[:5])
    return [
        Finding(
            f"{len(missed)} of the {len(due)} orders {which} never reached it (e.g. {sample}); "
            f"it fetched {len(archives)} archive page(s) through prev-archive",
            tuple(run.current_reads[:QUOTED]),
        )
    ]


def reads_every_order(run: ClientRun) -> list[Finding]:
    """DS-CLI-003: every order-created that entered the feed while the client monitored it
    reached the client, through the current document or by following prev-archive (a burst
    of more than 50 pushes the older ones into an archive), so none is missed."""
    cutoff = _cutoff(run)
    assert cutoff is not None
    first = run.first_read
    due = [o for o in run.orders.values() if first <= o.created < cutoff]
    last = "last" if run.stopped_by == "exit" else "second-to-last"
    return _missed(run, due, f"that entered the feed between its first and {last} read")


def reads_the_backlog(run: ClientRun) -> list[Finding]:
    """DS-CLI-021 (SHOULD): the orders already in the feed when the client started reached it
    too: 002 makes historical archives "possible" to get, not a duty (DEV-CLIENT-BACKLOG)."""
    first = run.first_read
    due = [o for o in run.orders.values() if o.created < first]
    return _missed(run, due, "already in the feed before its first read")


def _archive_reads(run: ClientRun) -> list[Record]:
    return [r for r in run.records if r.is_feed and r.feed is not None and r.feed["archive"]]


def archive_pages_read_once(run: ClientRun) -> list[Finding]:
    """DS-CLI-004 (SHOULD): a client that keeps a marker (002: the timestamp of the last order
    retrieved) walks prev-archive only as far as the marker, so it never needs an archive page
    twice: archive pages never change (RFC 5005 §4)."""
    by_page: dict[str, list[Record]] = defaultdict(list)
    for record in _archive_reads(run):
        assert record.feed is not None  # _archive_reads keeps the reads of a feed document
        by_page[record.feed["page"]].append(record)
    return [
        Finding(
            f"archive page Pages({page}) fetched {len(reads)} times ({_quote(reads)}): the "
            "client re-walks archives it has already read instead of stopping at its marker",
            tuple(reads[:QUOTED]),
        )
        for page, reads in by_page.items()
        if len(reads) > 1
    ]


def polling_pace(run: ClientRun) -> list[Finding]:
    """DS-CLI-010 (SHOULD): the client paces its polls and retries (POLLING_RULE)."""
    rule = POLLING_RULE
    findings = []
    feed = sorted((r for r in run.records if r.is_feed), key=lambda r: r.t)
    worst, worst_at, start = 0, 0, 0
    for end, record in enumerate(feed):
        while record.t - feed[start].t >= rule.window_seconds:
            start += 1
        if end - start + 1 > worst:
            worst, worst_at = end - start + 1, start
    if worst > rule.max_feed_requests_per_window:
        window = feed[worst_at : worst_at + worst]
        findings.append(
            Finding(
                f"{worst} feed requests within {rule.window_seconds:g}s from +{window[0].t:.2f}s "
                f"(at most {rule.max_feed_requests_per_window})",
                tuple(window[:QUOTED]),
            )
        )
    reads = run.current_reads
    hasty = [
        later
        for earlier, later in itertools.pairwise(reads)
        if later.t - earlier.t < rule.min_unchanged_repoll_seconds
        and earlier.feed is not None
        and later.feed is not None
        and earlier.feed["digest"] == later.feed["digest"]
    ]
    if hasty:
        findings.append(
            Finding(
                f"{len(hasty)} poll(s) of an unchanged current document less than "
                f"{rule.min_unchanged_repoll_seconds:g}s after the previous one: {_quote(hasty)}",
                tuple(hasty[:QUOTED]),
            )
        )
    retries = []
    ordered = sorted(run.records, key=lambda r: r.t)
    for index, record in enumerate(ordered):
        if not 400 <= record.status < 500:
            continue
        key = (record.method, record.path, record.query, record.body)
        for later in ordered[index + 1 :]:
            if later.t - record.t_end >= rule.min_retry_after_4xx_seconds:
                break
            if (later.method, later.path, later.query, later.body) == key:
                retries.append(later)
                break
    if retries:
        findings.append(
            Finding(
                f"{len(retries)} request(s) repeated unchanged less than "
                f"{rule.min_retry_after_4xx_seconds:g}s after a 4xx answer: {_quote(retries)}",
                tuple(retries[:QUOTED]),
            )
        )
    return findings


BEHAVIOUR_CHECKS: tuple[BehaviourCheck, ...] = (
    BehaviourCheck(
        "polls_the_feed",
        ids.DS_CLI_001,
        "the client reads the current feed document repeatedly while it runs",
        _always,
        polls_the_feed,
    ),
    BehaviourCheck(
        "reads_every_order",
        ids.DS_CLI_003,
        "every order-created that enters the feed while the client monitors it reaches the "
        "client, following prev-archive when the current document no longer holds it",
        _cutoff_missing,
        reads_every_order,
    ),
    BehaviourCheck(
        "reads_the_backlog",
        ids.DS_CLI_021,
        "every order-created already in the feed when the client first read it reaches the "
        "client, following prev-archive into the historical archives",
        lambda run: None if run.current_reads else "the client never read the current document",
        reads_the_backlog,
    ),
    BehaviourCheck(
        "archive_pages_read_once",
        ids.DS_CLI_004,
        "the client keeps a marker (002: timestamp of the last order retrieved) and so never "
        "re-reads an archive page",
        lambda run: None if _archive_reads(run) else "the client read no archive page",
        archive_pages_read_once,
    ),
    BehaviourCheck(
        "polling_pace",
        ids.DS_CLI_010,
        f"at most {POLLING_RULE.max_feed_requests_per_window} feed requests in any "
        f"{POLLING_RULE.window_seconds:g}s; an unchanged current document not re-polled within "
        f"{POLLING_RULE.min_unchanged_repoll_seconds:g}s; no unchanged retry within "
        f"{POLLING_RULE.min_retry_after_4xx_seconds:g}s of a 4xx",
        lambda run: None if run.records else "the client made no request",
        polling_pace,
        follows_refusals=False,
    ),
)
