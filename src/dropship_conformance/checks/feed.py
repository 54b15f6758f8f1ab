"""Checks of the feed (DS-FEED): the document rules, what one feed document alone shows, and
how the current document is served and whose events it holds.

Each document rule is registered under its requirement id with
:func:`dropship_conformance.feed.rules.check` (in the spirit of schemathesis checks) and yields a
:class:`Violation` per problem, saying what was expected and what was found; the level comes
from the catalogue. The archive's own document rules are in :mod:`.archive`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import pairwise

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type stubs

from dropship_conformance.checks import ids, registry
from dropship_conformance.checks.primitives import ATOM
from dropship_conformance.checks.registry import Observation, none_of
from dropship_conformance.client import Reply
from dropship_conformance.feed import events
from dropship_conformance.feed.atom import (
    ATOM_NS,
    DS_NS,
    PAYLOAD_KINDS,
    Entry,
    FeedDocument,
    parse_rfc3339,
)
from dropship_conformance.feed.rules import MAX_ENTRIES, DocumentContext, Violation, check
from dropship_conformance.feed.schemas import readable_path, validate_feed

EXPECTED_TITLES = {
    "order-created": "Dropship Order Created",
    "order-status-updated": "Dropship Order Status Updated",
}

_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_URN_UUID = re.compile(
    r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)


def _atom(name: str) -> str:
    return f"{{{ATOM_NS}}}{name}"


def _entry_label(index: int, entry: Entry) -> str:
    return f"entry {index + 1} ({entry.id})" if entry.id else f"entry {index + 1}"


def _iso(moment: datetime | None) -> str:
    return moment.isoformat().replace("+00:00", "Z") if moment else "none"


def _media_type(value: str | None) -> str:
    """The media type essence: lower-cased, parameters dropped (as HTTP compares them)."""
    return (value or "").split(";", 1)[0].strip().lower()


def _count_children(element: etree._Element, name: str) -> int:
    return len(element.findall(_atom(name)))


def _cardinality(
    element: etree._Element, exactly_one: Iterable[str], at_most_one: Iterable[str]
) -> Iterator[str]:
    where = readable_path(element)
    for name in exactly_one:
        found = _count_children(element, name)
        if found != 1:
            yield f"{where}: expected exactly one atom:{name}, found {found}"
    for name in at_most_one:
        found = _count_children(element, name)
        if found > 1:
            yield f"{where}: expected at most one atom:{name}, found {found}"


def _persons(element: etree._Element) -> Iterator[str]:
    for name in ("author", "contributor"):
        for person in element.findall(_atom(name)):
            found = _count_children(person, "name")
            if found != 1:
                yield (
                    f"{readable_path(person)}: expected exactly one atom:name "
                    f"(RFC 4287 section 3.2), found {found}"
                )


def _atom_structure(root: etree._Element) -> Iterator[str]:
    """RFC 4287 / 000-001 cardinalities that atom.xsd cannot express with its repeating
    choice (DS-FEED-013)."""
    yield from _cardinality(
        root,
        exactly_one=("id", "title", "updated"),
        at_most_one=("generator", "icon", "logo", "rights", "subtitle"),
    )
    if not root.findall(_atom("author")):
        yield (
            f"{readable_path(root)}: expected at least one atom:author (000/001 Feed "
            "author/name), found none"
        )
    yield from _persons(root)
    for entry in root.findall(_atom("entry")):
        yield from _cardinality(
            entry,
            exactly_one=("id", "title", "published", "updated", "content"),
            at_most_one=("rights", "source", "summary"),
        )
        yield from _persons(entry)


def _link_count_problems(feed: FeedDocument, rels: Iterable[str]) -> list[str]:
    """For each of ``rels`` not present exactly once, say how many there are."""
    problems = []
    for rel in rels:
        count = len(feed.links.get(rel, []))
        if count != 1:
            problems.append(f"{count} link rel={rel}")
    return problems


def found_rels(feed: FeedDocument) -> str:
    return ", ".join(sorted(feed.links)) or "none"


@check(ids.DS_FEED_002)
def xsd_valid(ctx: DocumentContext) -> Iterator[Violation]:
    """The document is valid against atom.xsd (payloads against dropship-events.xsd)."""
    for message in validate_feed(ctx.root):
        yield Violation(ids.DS_FEED_002, f"schema: {message}")


@check(ids.DS_FEED_003)
def ids_are_absolute_iris(ctx: DocumentContext) -> Iterator[Violation]:
    """RFC 4287 section 4.2.6: atom:id is an absolute IRI."""
    named = [("feed", ctx.feed.id)]
    named += [(_entry_label(i, e), e.id) for i, e in enumerate(ctx.feed.entries)]
    for label, value in named:
        if value is not None and not _ABSOLUTE_IRI.match(value):
            yield Violation(
                ids.DS_FEED_003,
                f"{label} id: expected an absolute IRI (scheme:...), found {value!r}",
            )


@check(ids.DS_FEED_004)
def entry_ids_are_urn_uuids(ctx: DocumentContext) -> Iterator[Violation]:
    """000/001 Feed table: entry id is a GUID, carried as urn:uuid:<UUID>."""
    for index, entry in enumerate(ctx.feed.entries):
        if entry.id is not None and not _URN_UUID.match(entry.id):
            yield Violation(
                ids.DS_FEED_004,
                f"entry {index + 1} id: expected urn:uuid: followed by an 8-4-4-4-12 hex "
                f"UUID, found {entry.id!r}",
            )


def _event_text(entry: Entry) -> bytes | None:
    """The entry's event in canonical XML: equal for the same event, however serialised."""
    if entry.payload is None:
        return None
    text: bytes = etree.tostring(entry.payload, method="c14n", exclusive=True, with_comments=False)
    return text


@check(ids.DS_FEED_005)
def entry_ids_name_one_event(ctx: DocumentContext) -> Iterator[Violation]:
    """RFC 4287 section 4.1.1 lets entries sharing an id repeat one entry; section 4.2.6: the
    id identifies it, so entries sharing an id carry one event."""
    events: dict[str, set[bytes | None]] = {}
    for entry in ctx.feed.entries:
        if entry.id is not None:
            events.setdefault(entry.id, set()).add(_event_text(entry))
    for value, found in events.items():
        if len(found) > 1:
            yield Violation(
                ids.DS_FEED_005,
                f"entry id {value!r}: expected one event per entry id, found {len(found)} "
                "different events under it",
            )


@check(ids.DS_FEED_017)
def entry_ids_unique(ctx: DocumentContext) -> Iterator[Violation]:
    """Every dropship event is its own entry (002 Step 2): an id repeated, even for the same
    event, is warned."""
    counts = Counter(entry.id for entry in ctx.feed.entries if entry.id is not None)
    for value, count in counts.items():
        if count > 1:
            yield Violation(
                ids.DS_FEED_017,
                f"entry id {value!r}: expected once in the document, found {count} times",
            )


def _newest_entry(feed: FeedDocument) -> tuple[int, Entry, datetime] | None:
    """The newest dated entry (the first of equals) with its index and its updated."""
    dated = [(i, e, e.updated) for i, e in enumerate(feed.entries) if e.updated is not None]
    return max(dated, key=lambda row: row[2], default=None)


@check(ids.DS_FEED_006)
def feed_updated_not_before_entries(ctx: DocumentContext) -> Iterator[Violation]:
    """The feed's updated is not earlier than its newest entry's updated."""
    newest = _newest_entry(ctx.feed)
    if ctx.feed.updated is None or newest is None:
        return
    index, entry, updated = newest
    if ctx.feed.updated < updated:
        yield Violation(
            ids.DS_FEED_006,
            f"feed updated: expected not earlier than the newest entry's updated "
            f"{_iso(updated)} ({_entry_label(index, entry)}), "
            f"found {_iso(ctx.feed.updated)}",
        )


@check(ids.DS_FEED_007)
def feed_updated_equals_newest_entry(ctx: DocumentContext) -> Iterator[Violation]:
    """001 Feed: updated is the "Timestamp based on newest entry timestamp"."""
    newest = _newest_entry(ctx.feed)
    if ctx.feed.updated is None or newest is None:
        return
    index, entry, updated = newest
    if ctx.feed.updated != updated:
        yield Violation(
            ids.DS_FEED_007,
            f"feed updated: expected the newest entry's updated {_iso(updated)} "
            f"({_entry_label(index, entry)}), found {_iso(ctx.feed.updated)}",
        )


@check(ids.DS_FEED_008)
def created_orders_prepended(ctx: DocumentContext) -> Iterator[Violation]:
    """001: "Newly created orders are prepended to the beginning of the notification feed":
    nothing before an order-created entry is older than it. Other events are not placed by
    the sentence (DS-FEED-018)."""
    dated = [(i, e, e.updated) for i, e in enumerate(ctx.feed.entries) if e.updated is not None]
    oldest_before: tuple[int, Entry, datetime] | None = None
    for index, entry, updated in dated:
        if entry.payload_kind == "order-created" and oldest_before is not None:
            i, older, older_updated = oldest_before
            if older_updated < updated:
                yield Violation(
                    ids.DS_FEED_008,
                    f"entry order: expected the order-created {_entry_label(index, entry)} "
                    f"(updated {_iso(updated)}) before every older entry, found it after "
                    f"{_entry_label(i, older)} updated {_iso(older_updated)}",
                )
        if oldest_before is None or updated < oldest_before[2]:
            oldest_before = (index, entry, updated)


@check(ids.DS_FEED_018)
def entries_newest_first(ctx: DocumentContext) -> Iterator[Violation]:
    """Every entry newest first by atom:updated, as every example lists them. Equal timestamps
    are in order."""
    dated = [(i, e, e.updated) for i, e in enumerate(ctx.feed.entries) if e.updated is not None]
    for (i, a, a_updated), (j, b, b_updated) in pairwise(dated):
        if a_updated < b_updated:
            yield Violation(
                ids.DS_FEED_018,
                f"entry order: expected newest first, found {_entry_label(i, a)} "
                f"updated {_iso(a_updated)} before the newer {_entry_label(j, b)} "
                f"updated {_iso(b_updated)}",
            )


@check(ids.DS_FEED_009)
def at_most_fifty_entries(ctx: DocumentContext) -> Iterator[Violation]:
    """000/001: each page of the feed contains up to 50 events."""
    count = len(ctx.feed.entries)
    if count > MAX_ENTRIES:
        yield Violation(ids.DS_FEED_009, f"entries: expected at most {MAX_ENTRIES}, found {count}")


@check(ids.DS_FEED_010, "current")
def current_links(ctx: DocumentContext) -> Iterator[Violation]:
    """000/001 Feed: exactly one link current and one link self (self: RFC 4287 section
    4.1.1 SHOULD, held as MUST by the catalogue)."""
    problems = _link_count_problems(ctx.feed, ("current", "self"))
    if problems:
        yield Violation(
            ids.DS_FEED_010,
            "current document: expected exactly one link rel=current and one rel=self, "
            f"found {' and '.join(problems)} (rels present: {found_rels(ctx.feed)})",
        )


def _is_xml_media_type(value: str | None) -> bool:
    """RFC 4287 section 4.1.3.3: an XML media type, one ending in /xml or +xml."""
    return _media_type(value).endswith(("/xml", "+xml"))


@check(ids.DS_FEED_011)
def content_is_one_dropship_event(ctx: DocumentContext) -> Iterator[Violation]:
    """Each entry's content has an XML media type and holds exactly one dropship event."""
    for index, entry in enumerate(ctx.feed.entries):
        label = _entry_label(index, entry)
        contents = entry.element.findall(_atom("content"))
        if len(contents) != 1:
            yield Violation(
                ids.DS_FEED_011, f"{label}: expected one atom:content, found {len(contents)}"
            )
            continue
        content = contents[0]
        if not _is_xml_media_type(content.get("type")):
            yield Violation(
                ids.DS_FEED_011,
                f"{label} content type: expected an XML media type (RFC 4287 section 4.1.3.3), "
                f"found {content.get('type')!r}",
            )
        children = [child for child in content if isinstance(child.tag, str)]
        events = [
            child
            for child in children
            if etree.QName(child).namespace == DS_NS
            and etree.QName(child).localname in PAYLOAD_KINDS
        ]
        found = ", ".join(child.tag for child in children) or "no element"
        if len(children) != 1 or len(events) != 1:
            yield Violation(
                ids.DS_FEED_011,
                f"{label} content: expected exactly one {{{DS_NS}}}order-created or "
                f"order-status-updated element, found {found}",
            )
        stray = [
            text.strip()
            for text in [content.text, *(child.tail for child in content)]
            if text and text.strip()
        ]
        if stray:
            yield Violation(
                ids.DS_FEED_011,
                f"{label} content: expected only the event element, found text {stray!r}",
            )


@check(ids.DS_FEED_019)
def content_type_application_xml(ctx: DocumentContext) -> Iterator[Violation]:
    """Every example writes content type="application/xml"; another XML type is warned."""
    for index, entry in enumerate(ctx.feed.entries):
        for content in entry.element.findall(_atom("content")):
            found = content.get("type")
            if _is_xml_media_type(found) and _media_type(found) != "application/xml":
                yield Violation(
                    ids.DS_FEED_019,
                    f"{_entry_label(index, entry)} content type: expected 'application/xml' "
                    f"as in the examples, found {found!r}",
                )


@check(ids.DS_FEED_012)
def title_matches_payload(ctx: DocumentContext) -> Iterator[Violation]:
    """000/001 examples: the entry title names the event kind."""
    for index, entry in enumerate(ctx.feed.entries):
        if entry.payload_kind is None:
            continue  # DS-FEED-011 reports the missing event
        expected = EXPECTED_TITLES[entry.payload_kind]
        found = entry.title.strip() if entry.title is not None else None
        if found != expected:
            yield Violation(
                ids.DS_FEED_012,
                f"{_entry_label(index, entry)} title: expected {expected!r} for "
                f"{entry.payload_kind}, found {found!r}",
            )


@check(ids.DS_FEED_013)
def atom_cardinalities(ctx: DocumentContext) -> Iterator[Violation]:
    """RFC 4287 4.1.1/4.1.2 and 000/001 Feed: one id, title, updated and an author with a
    name per feed; one id, title, published, updated and content per entry."""
    for message in _atom_structure(ctx.root):
        yield Violation(ids.DS_FEED_013, message)


@check(ids.DS_FEED_014)
def rfc3339_dates(ctx: DocumentContext) -> Iterator[Violation]:
    """RFC 4287 section 3.3: dates are RFC 3339 date-times with "T" and "Z" or an offset."""
    elements = ctx.root.findall(_atom("updated"))
    for entry in ctx.root.findall(_atom("entry")):
        elements += entry.findall(_atom("published")) + entry.findall(_atom("updated"))
    for element in elements:
        text = element.text or ""
        if parse_rfc3339(text) is None or text != text.strip():
            yield Violation(
                ids.DS_FEED_014,
                f"{readable_path(element)}: expected an RFC 3339 date-time such as "
                f"2015-10-23T21:37:31Z (uppercase T, Z or +hh:mm), found {text!r}",
            )


# ----- the served current document


@registry.check(ids.DS_FEED_001)
def served_as_atom(reply: Reply) -> Observation:
    return Observation(
        reply.status == 200 and reply.media_type == ATOM,
        f"200 with Content-Type {ATOM}",
        f"{reply.status} with Content-Type {reply.headers.get('content-type')!r}",
    )


@registry.check(ids.DS_FEED_002)
def read_as_atom(error: ValueError | None) -> Observation:
    """The body read as an Atom feed (the document rules judge the rest of DS-FEED-002)."""
    return Observation(error is None, "a well-formed Atom feed", str(error))


def _strangers(document: FeedDocument, supplier: str) -> list[str]:
    """The entries whose payload names another supplier than ``supplier``."""
    return [
        f"entry {entry.id}: supplier-id {value.get('supplier-id')!r}"
        for entry in document.entries
        if entry.payload is not None
        and (value := events.to_value(entry.payload)).get("supplier-id") != supplier
    ]


@registry.check(ids.DS_FEED_016)
def only_the_suppliers_events(document: FeedDocument, supplier: str) -> Observation:
    return none_of(_strangers(document, supplier), f"every payload's supplier-id is {supplier}")


@registry.check(ids.AUTH_002)
def no_other_suppliers_entries(document: FeedDocument, supplier: str) -> Observation:
    return none_of(_strangers(document, supplier), "no entry of another supplier")
