"""Document-local checks of feed documents: what can be judged from one document alone.

Each check is a small function registered under one requirement id of
specs/requirements.yaml (in the spirit of schemathesis checks). It yields zero or more
:class:`Violation` objects whose message says what was expected and what was found.
Whether a violation fails a run (MUST) or warns (SHOULD) is not decided here: the level
lives in specs/requirements.yaml and is joined on the requirement id.

Rules that need more than one document (DS-ARCH-002 stability, DS-ARCH-004/005 walking,
DS-ARCH-007 self links, DS-ARCH-008/009 paging behaviour) belong to the archive walker.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Literal

from lxml import etree

from dropship_conformance.feed.atom import (
    ATOM_NS,
    DS_NS,
    FH_NS,
    PAYLOAD_KINDS,
    Entry,
    FeedDocument,
    NotAnAtomFeed,
    parse_rfc3339,
    read_feed_root,
)
from dropship_conformance.feed.schemas import readable_path, validate_feed
from dropship_conformance.feed.xmlsafe import DEFAULT_MAX_BYTES, UnsafeOrInvalidXML, parse_xml

__all__ = [
    "ARCHIVE_ENTRIES",
    "CHECKS",
    "MAX_ENTRIES",
    "Check",
    "DocumentContext",
    "Role",
    "Violation",
    "check_document",
    "check_root",
    "registered_ids",
]

Role = Literal["current", "archive"]
ROLES: tuple[Role, ...] = ("current", "archive")

#: 000 "Order Feed", 001 "Order Notifications Feed": "Each page of the feed will contain
#: up to 50 events".
MAX_ENTRIES = 50
#: 002 Step 2: "If a page has 50 events and a new event occurs, then those 50 events are
#: pushed into an archived page" -- so an archive page holds exactly 50; 001 only says "up
#: to 50", so a shorter archive is warned (DS-ARCH-011), not failed (DEV-ARCHIVE-SIZE).
ARCHIVE_ENTRIES = 50

EXPECTED_TITLES = {
    "order-created": "Dropship Order Created",
    "order-status-updated": "Dropship Order Status Updated",
}

_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_URN_UUID = re.compile(
    r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)


@dataclass(frozen=True)
class Violation:
    """One broken requirement: ``message`` says what was expected and what was found."""

    requirement_id: str
    message: str


@dataclass(frozen=True)
class DocumentContext:
    """What a check gets: the parsed root, the model built from it and the role."""

    root: etree._Element
    feed: FeedDocument
    role: Role


CheckFunction = Callable[[DocumentContext], Iterable[Violation]]


@dataclass(frozen=True)
class Check:
    """A registered check: the requirement it judges and the roles it applies to."""

    requirement_id: str
    roles: frozenset[Role]
    function: CheckFunction

    @property
    def name(self) -> str:
        return self.function.__name__


#: The table of document-local checks, in registration order.
CHECKS: list[Check] = []


def check(requirement_id: str, *roles: Role) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` as the check of ``requirement_id`` (for ``roles``, default all)."""

    def register(function: CheckFunction) -> CheckFunction:
        CHECKS.append(Check(requirement_id, frozenset(roles or ROLES), function))
        return function

    return register


def registered_ids() -> set[str]:
    """The requirement ids that have a document-local check."""
    return {item.requirement_id for item in CHECKS}


# ----- helpers -----


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


def _found_rels(feed: FeedDocument) -> str:
    return ", ".join(sorted(feed.links)) or "none"


# ----- the checks -----


@check("DS-FEED-002")
def xsd_valid(ctx: DocumentContext) -> Iterator[Violation]:
    """The document is valid against atom.xsd (payloads against dropship-events.xsd)."""
    for message in validate_feed(ctx.root):
        yield Violation("DS-FEED-002", f"schema: {message}")


@check("DS-FEED-003")
def ids_are_absolute_iris(ctx: DocumentContext) -> Iterator[Violation]:
    """RFC 4287 section 4.2.6: atom:id is an absolute IRI."""
    ids = [("feed", ctx.feed.id)]
    ids += [(_entry_label(i, e), e.id) for i, e in enumerate(ctx.feed.entries)]
    for label, value in ids:
        if value is not None and not _ABSOLUTE_IRI.match(value):
            yield Violation(
                "DS-FEED-003",
                f"{label} id: expected an absolute IRI (scheme:...), found {value!r}",
            )


@check("DS-FEED-004")
def entry_ids_are_urn_uuids(ctx: DocumentContext) -> Iterator[Violation]:
    """000/001 Feed table: entry id is a GUID, carried as urn:uuid:<UUID>."""
    for index, entry in enumerate(ctx.feed.entries):
        if entry.id is not None and not _URN_UUID.match(entry.id):
            yield Violation(
                "DS-FEED-004",
                f"entry {index + 1} id: expected urn:uuid: followed by an 8-4-4-4-12 hex "
                f"UUID, found {entry.id!r}",
            )


def _event_text(entry: Entry) -> bytes | None:
    """The entry's event in canonical XML: equal for the same event, however serialised."""
    if entry.payload is None:
        return None
    return etree.tostring(entry.payload, method="c14n", exclusive=True, with_comments=False)


@check("DS-FEED-005")
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
                "DS-FEED-005",
                f"entry id {value!r}: expected one event per entry id, found {len(found)} "
                "different events under it",
            )


@check("DS-FEED-017")
def entry_ids_unique(ctx: DocumentContext) -> Iterator[Violation]:
    """Every dropship event is its own entry (002 Step 2): an id repeated, even for the same
    event, is warned."""
    counts = Counter(entry.id for entry in ctx.feed.entries if entry.id is not None)
    for value, count in counts.items():
        if count > 1:
            yield Violation(
                "DS-FEED-017",
                f"entry id {value!r}: expected once in the document, found {count} times",
            )


def _newest_entry(feed: FeedDocument) -> tuple[int, Entry] | None:
    dated = [(i, e) for i, e in enumerate(feed.entries) if e.updated is not None]
    if not dated:
        return None
    return max(dated, key=lambda pair: pair[1].updated)  # type: ignore[arg-type,return-value]


@check("DS-FEED-006")
def feed_updated_not_before_entries(ctx: DocumentContext) -> Iterator[Violation]:
    """The feed's updated is not earlier than its newest entry's updated."""
    newest = _newest_entry(ctx.feed)
    if ctx.feed.updated is None or newest is None:
        return
    index, entry = newest
    if ctx.feed.updated < entry.updated:  # type: ignore[operator]
        yield Violation(
            "DS-FEED-006",
            f"feed updated: expected not earlier than the newest entry's updated "
            f"{_iso(entry.updated)} ({_entry_label(index, entry)}), "
            f"found {_iso(ctx.feed.updated)}",
        )


@check("DS-FEED-007")
def feed_updated_equals_newest_entry(ctx: DocumentContext) -> Iterator[Violation]:
    """001 Feed: updated is the "Timestamp based on newest entry timestamp"."""
    newest = _newest_entry(ctx.feed)
    if ctx.feed.updated is None or newest is None:
        return
    index, entry = newest
    if ctx.feed.updated != entry.updated:
        yield Violation(
            "DS-FEED-007",
            f"feed updated: expected the newest entry's updated {_iso(entry.updated)} "
            f"({_entry_label(index, entry)}), found {_iso(ctx.feed.updated)}",
        )


@check("DS-FEED-008")
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
                    "DS-FEED-008",
                    f"entry order: expected the order-created {_entry_label(index, entry)} "
                    f"(updated {_iso(updated)}) before every older entry, found it after "
                    f"{_entry_label(i, older)} updated {_iso(older_updated)}",
                )
        if oldest_before is None or updated < oldest_before[2]:
            oldest_before = (index, entry, updated)


@check("DS-FEED-018")
def entries_newest_first(ctx: DocumentContext) -> Iterator[Violation]:
    """Every entry newest first by atom:updated, as every example lists them. Equal timestamps
    are in order."""
    dated = [(i, e) for i, e in enumerate(ctx.feed.entries) if e.updated is not None]
    for (i, a), (j, b) in pairwise(dated):
        if a.updated < b.updated:  # type: ignore[operator]
            yield Violation(
                "DS-FEED-018",
                f"entry order: expected newest first, found {_entry_label(i, a)} "
                f"updated {_iso(a.updated)} before the newer {_entry_label(j, b)} "
                f"updated {_iso(b.updated)}",
            )


@check("DS-FEED-009")
def at_most_fifty_entries(ctx: DocumentContext) -> Iterator[Violation]:
    """000/001: each page of the feed contains up to 50 events."""
    count = len(ctx.feed.entries)
    if count > MAX_ENTRIES:
        yield Violation("DS-FEED-009", f"entries: expected at most {MAX_ENTRIES}, found {count}")


@check("DS-FEED-010", "current")
def current_links(ctx: DocumentContext) -> Iterator[Violation]:
    """000/001 Feed: exactly one link current and one link self (self: RFC 4287 section
    4.1.1 SHOULD, held as MUST by the catalogue)."""
    problems = _link_count_problems(ctx.feed, ("current", "self"))
    if problems:
        yield Violation(
            "DS-FEED-010",
            "current document: expected exactly one link rel=current and one rel=self, "
            f"found {' and '.join(problems)} (rels present: {_found_rels(ctx.feed)})",
        )


def _is_xml_media_type(value: str | None) -> bool:
    """RFC 4287 section 4.1.3.3: an XML media type, one ending in /xml or +xml."""
    return _media_type(value).endswith(("/xml", "+xml"))


@check("DS-FEED-011")
def content_is_one_dropship_event(ctx: DocumentContext) -> Iterator[Violation]:
    """Each entry's content has an XML media type and holds exactly one dropship event."""
    for index, entry in enumerate(ctx.feed.entries):
        label = _entry_label(index, entry)
        contents = entry.element.findall(_atom("content"))
        if len(contents) != 1:
            yield Violation(
                "DS-FEED-011", f"{label}: expected one atom:content, found {len(contents)}"
            )
            continue
        content = contents[0]
        if not _is_xml_media_type(content.get("type")):
            yield Violation(
                "DS-FEED-011",
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
                "DS-FEED-011",
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
                "DS-FEED-011",
                f"{label} content: expected only the event element, found text {stray!r}",
            )


@check("DS-FEED-019")
def content_type_application_xml(ctx: DocumentContext) -> Iterator[Violation]:
    """Every example writes content type="application/xml"; another XML type is warned."""
    for index, entry in enumerate(ctx.feed.entries):
        for content in entry.element.findall(_atom("content")):
            found = content.get("type")
            if _is_xml_media_type(found) and _media_type(found) != "application/xml":
                yield Violation(
                    "DS-FEED-019",
                    f"{_entry_label(index, entry)} content type: expected 'application/xml' "
                    f"as in the examples, found {found!r}",
                )


@check("DS-FEED-012")
def title_matches_payload(ctx: DocumentContext) -> Iterator[Violation]:
    """000/001 examples: the entry title names the event kind."""
    for index, entry in enumerate(ctx.feed.entries):
        if entry.payload_kind is None:
            continue  # DS-FEED-011 reports the missing event
        expected = EXPECTED_TITLES[entry.payload_kind]
        found = entry.title.strip() if entry.title is not None else None
        if found != expected:
            yield Violation(
                "DS-FEED-012",
                f"{_entry_label(index, entry)} title: expected {expected!r} for "
                f"{entry.payload_kind}, found {found!r}",
            )


@check("DS-FEED-013")
def atom_cardinalities(ctx: DocumentContext) -> Iterator[Violation]:
    """RFC 4287 4.1.1/4.1.2 and 000/001 Feed: one id, title, updated and an author with a
    name per feed; one id, title, published, updated and content per entry."""
    for message in _atom_structure(ctx.root):
        yield Violation("DS-FEED-013", message)


@check("DS-FEED-014")
def rfc3339_dates(ctx: DocumentContext) -> Iterator[Violation]:
    """RFC 4287 section 3.3: dates are RFC 3339 date-times with "T" and "Z" or an offset."""
    elements = ctx.root.findall(_atom("updated"))
    for entry in ctx.root.findall(_atom("entry")):
        elements += entry.findall(_atom("published")) + entry.findall(_atom("updated"))
    for element in elements:
        text = element.text or ""
        if parse_rfc3339(text) is None or text != text.strip():
            yield Violation(
                "DS-FEED-014",
                f"{readable_path(element)}: expected an RFC 3339 date-time such as "
                f"2015-10-23T21:37:31Z (uppercase T, Z or +hh:mm), found {text!r}",
            )


@check("DS-ARCH-001", "archive")
def archive_holds_at_most_fifty(ctx: DocumentContext) -> Iterator[Violation]:
    """001 GET Order Feed Archives: an archive gives access to "up to 50" entries."""
    count = len(ctx.feed.entries)
    if count > MAX_ENTRIES:
        yield Violation(
            "DS-ARCH-001", f"archive entries: expected at most {MAX_ENTRIES}, found {count}"
        )


@check("DS-ARCH-011", "archive")
def archive_holds_fifty(ctx: DocumentContext) -> Iterator[Violation]:
    """002 Step 2: a page is archived when it holds 50 events (SHOULD, DEV-ARCHIVE-SIZE)."""
    count = len(ctx.feed.entries)
    if count < ARCHIVE_ENTRIES:
        yield Violation(
            "DS-ARCH-011",
            f"archive entries: expected exactly {ARCHIVE_ENTRIES}, found {count}",
        )


@check("DS-ARCH-003", "archive")
def archive_links(ctx: DocumentContext) -> Iterator[Violation]:
    """000/001 Feed tables: self and current. next-archive (absent from the newest archive
    at most warned, DEV-ARCHIVE-NEXT) and prev-archive (absent from the oldest) depend on
    where the page is, which one page cannot tell: the walk judges them (DS-ARCH-004/009)."""
    missing = [rel for rel in ("self", "current") if rel not in ctx.feed.links]
    if missing:
        yield Violation(
            "DS-ARCH-003",
            f"archive document: expected link rel={', rel='.join(missing)}, found rels "
            f"{_found_rels(ctx.feed)}",
        )


@check("DS-ARCH-006")
def archive_marked(ctx: DocumentContext) -> Iterator[Violation]:
    """RFC 5005 section 4: archive documents SHOULD contain fh:archive in the feed head;
    the current document is no archive and carries none."""
    if ctx.role == "archive" and not ctx.feed.is_archive:
        yield Violation(
            "DS-ARCH-006",
            f"archive document: expected a {{{FH_NS}}}archive child of atom:feed, found none",
        )
    if ctx.role == "current" and ctx.feed.is_archive:
        yield Violation(
            "DS-ARCH-006",
            f"current document: expected no {{{FH_NS}}}archive element, found one",
        )


# ----- entry points -----


def check_root(root: etree._Element, role: Role) -> list[Violation]:
    """Run every check registered for ``role`` on an already parsed document."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    try:
        feed = read_feed_root(root)
    except NotAnAtomFeed as exc:
        return [Violation("DS-FEED-002", f"document: expected an atom:feed root, {exc}")]
    ctx = DocumentContext(root=root, feed=feed, role=role)
    violations: list[Violation] = []
    for item in CHECKS:
        if role in item.roles:
            violations.extend(item.function(ctx))
    return violations


def check_document(data: bytes, role: Role, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Violation]:
    """Parse a feed body safely and run the document-local checks for ``role``.

    A body that is not safe, well-formed XML yields a single DS-FEED-002 violation: it
    cannot be valid against the schema, and no other rule can be judged.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    try:
        root = parse_xml(data, max_bytes=max_bytes)
    except UnsafeOrInvalidXML as exc:
        return [Violation("DS-FEED-002", f"document: expected safe, well-formed XML; {exc}")]
    return check_root(root, role)
