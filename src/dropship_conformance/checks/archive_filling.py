"""Checks of the archive suite's generated filling (issue 16): the entries one example saw in the
current document, followed across the page boundaries its own events rolled.

The walk (:mod:`dropship_conformance.feed.walk`) judges every page it reads; what it cannot
know is which entries must be there and in what order they were made. The example knows both:
it saw each entry arrive in the current document, one event at a time.
"""

from __future__ import annotations

import itertools
from typing import Any

from dropship_conformance.checks import ids
from dropship_conformance.checks.registry import Observation, check, none_of


@check(ids.DS_ARCH_005)
def seen_entries_walked(missing: list[str], pages: int) -> Observation:
    """002 §Step 2: a full page is "pushed into an archived page"; an entry seen in the current
    document and on none of the pages walked back past it is a lost event."""
    return none_of(
        [f"entry {entry_id} is on none of the {pages} pages walked" for entry_id in missing],
        "every entry seen in the current document reached again by the walk",
    )


@check(ids.DS_FEED_015)
def pages_in_creation_order(found: list[tuple[str, int]]) -> Observation:
    """``found``: each entry the example made, in the order it made them, with how many pages
    back from the current document the walk found it. A later event on an older page than an
    earlier one breaks "the next-archive link gives access to a newer ... list" (001)."""
    problems = [
        f"entry {later} (made after {earlier}) is {later_page} pages back, {earlier} only "
        f"{earlier_page}"
        for (earlier, earlier_page), (later, later_page) in itertools.pairwise(found)
        if later_page > earlier_page
    ]
    return none_of(problems, "every entry on the same page as, or a newer page than, the earlier")


@check(ids.DS_EVT_002)
def created_kept(fresh: dict[str, Any], archived: dict[str, Any]) -> Observation:
    """One order-created, read fresh in the current document and again on the archive page it
    was pushed to: both are the data the order was created with, so they are equal."""
    changed = sorted(
        key for key in fresh.keys() | archived.keys() if fresh.get(key) != archived.get(key)
    )
    return none_of(
        [
            f"{key}: {fresh.get(key)!r} when fresh, {archived.get(key)!r} archived"
            for key in changed
        ],
        "the archived order-created as it was read in the current document",
    )
