"""Tests of the safe XML reader, the feed model and the document-local feed rules.

Every rule in dropship_conformance.feed.rules is broken by at least one small hand-made
document (BREAKERS), so that no check can pass vacuously, and sandbox-like valid
documents (a current document and a full archive page) pass all of them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from dropship_conformance.feed import xmlsafe
from dropship_conformance.feed.atom import (
    ATOM_NS,
    DS_NS,
    first_difference,
    normalize_rel,
    parse_rfc3339,
    read_feed,
    same_document,
)
from dropship_conformance.feed.rules import check_document, registered_ids
from dropship_conformance.feed.schemas import validate_event, validate_feed
from dropship_conformance.feed.xmlsafe import UnsafeOrInvalidXML, parse_xml
from dropship_conformance.specs import spec_dir

REPO = Path(__file__).resolve().parents[1]

# ----------------------------------------------------------------------------------------
# Sandbox-like documents
# ----------------------------------------------------------------------------------------

FEED_URL = "https://dropshipdemo.iqmetrix.net/v1/Suppliers(60455)/Notifications"
T0 = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)


def guid(n: int, prefix: str = "0000") -> str:
    return f"{n:08x}-{prefix}-4000-8000-{n:012x}"


def stamp(n: int) -> str:
    return (T0 + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_url(page: int) -> str:
    return f"{FEED_URL}/Pages({guid(page, 'aaaa')})"


def order_created(n: int) -> str:
    return f"""<order-created xmlns:i="http://www.w3.org/2001/XMLSchema-instance"
        xmlns="urn:iQmetrix:dropship">
      <items>
        <order-item>
          <catalog-id>{guid(n, "cccc")}</catalog-id>
          <description>Some Item</description>
          <quantity>1</quantity>
          <selling-price>99.95</selling-price>
          <sku>AB-JH0786-MI</sku>
        </order-item>
      </items>
      <order-id>{guid(n, "0dd0")}</order-id>
      <seller>
        <company-id>33772</company-id>
        <location-id>33773</location-id>
        <po-reference>ABC123N1</po-reference>
        <printable-id>98764531</printable-id>
      </seller>
      <ship-to-store>false</ship-to-store>
      <shipping-entity-id>0</shipping-entity-id>
      <shipping-address>
        <address-id>{guid(n, "adad")}</address-id>
        <business-name i:nil="true" />
        <attention-to>Bob Eh</attention-to>
        <country>Canada</country>
        <country-code>CA</country-code>
        <locality>Moosejaw</locality>
        <notes i:nil="true" />
        <phone>555-555-5555</phone>
        <post-office-box-number i:nil="true" />
        <postal-code>S6J1N2</postal-code>
        <region>Saskatchewan</region>
        <region-code>SK</region-code>
        <street-address-1>742 Evergreen Terrace</street-address-1>
        <street-address-2 i:nil="true" />
        <type>Home</type>
      </shipping-address>
      <shipping-customer>
        <alternate-name i:nil="true" />
        <customer-id>{guid(n, "c0c0")}</customer-id>
        <family-name>Eh</family-name>
        <middle-name i:nil="true" />
        <notes i:nil="true" />
        <primary-name>Bob</primary-name>
        <title i:nil="true" />
        <type>Person</type>
      </shipping-customer>
      <shipping-method>123</shipping-method>
      <supplier-id>60455</supplier-id>
    </order-created>"""


def status_updated(n: int, status: str = "Shipped") -> str:
    return f"""<order-status-updated xmlns:i="http://www.w3.org/2001/XMLSchema-instance"
        xmlns="urn:iQmetrix:dropship">
      <company-id>33772</company-id>
      <items>
        <item-information>
          <catalog-id>{guid(n, "cccc")}</catalog-id>
          <info i:nil="true" />
          <message>No errors</message>
          <quantity>1</quantity>
          <shipping-provider>UPS</shipping-provider>
          <sku>AB-JH0786-MI</sku>
          <status>{status}</status>
          <tracking-info>1Z863YY60392796356,1Z863YY60393998</tracking-info>
        </item-information>
      </items>
      <order-id>{guid(n, "0dd0")}</order-id>
      <supplier-id>60455</supplier-id>
    </order-status-updated>"""


TITLES = {
    "order-created": "Dropship Order Created",
    "order-status-updated": "Dropship Order Status Updated",
}


def entry(
    n: int,
    kind: str = "order-status-updated",
    *,
    entry_id: str | None = None,
    title: str | None = None,
    when: str | None = None,
    content: str | None = None,
) -> str:
    payload = order_created(n) if kind == "order-created" else status_updated(n)
    if content is None:
        content = f'<content type="application/xml">{payload}</content>'
    return f"""
  <entry>
    <id>{entry_id or "urn:uuid:" + guid(n, "eeee")}</id>
    <title type="text">{title or TITLES[kind]}</title>
    <published>{when or stamp(n)}</published>
    <updated>{when or stamp(n)}</updated>
    {content}
  </entry>"""


def feed(
    entries: list[str],
    *,
    updated: str,
    links: dict[str, str],
    archive: bool = False,
    feed_id: str | None = None,
    head: str = '<title type="text">Dropship Order Event Feed</title>',
    author: str = "<author><name>iQmetrix</name></author>",
) -> bytes:
    link_xml = "".join(f'\n  <link rel="{rel}" href="{href}" />' for rel, href in links.items())
    marker = "\n  <fh:archive />" if archive else ""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:fh="http://purl.org/syndication/history/1.0">
  {head}
  <id>{feed_id or "urn:uuid:" + guid(1, "ffff")}</id>
  <updated>{updated}</updated>
  {author}{link_xml}{marker}{"".join(entries)}
</feed>
""".encode()


def current_links(prev: bool = True) -> dict[str, str]:
    links = {"current": FEED_URL, "self": page_url(9)}
    if prev:
        links["prev-archive"] = page_url(8)
    return links


def archive_links(prev: bool = True) -> dict[str, str]:
    links = {"current": FEED_URL, "self": page_url(8), "next-archive": page_url(9)}
    if prev:
        links["prev-archive"] = page_url(7)
    return links


def current_doc(**overrides: object) -> bytes:
    """A current document: two events, newest first, like the sandbox serves."""
    entries = [entry(2, "order-status-updated"), entry(1, "order-created")]
    args: dict[str, object] = {"updated": stamp(2), "links": current_links()}
    args.update(overrides)
    return feed(entries, **args)  # type: ignore[arg-type]


def archive_entries(count: int = 50, first: int = 100) -> list[str]:
    numbers = range(first + count - 1, first - 1, -1)  # newest first
    return [entry(n, "order-created" if n == first else "order-status-updated") for n in numbers]


def archive_doc(count: int = 50, **overrides: object) -> bytes:
    """A full archive page: 50 events, fh:archive, self/current/next-archive/prev-archive."""
    args: dict[str, object] = {
        "updated": stamp(100 + count - 1),
        "links": archive_links(),
        "archive": True,
    }
    args.update(overrides)
    return feed(archive_entries(count), **args)  # type: ignore[arg-type]


def fired(data: bytes, role: str) -> set[str]:
    return {v.requirement_id for v in check_document(data, role)}  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------
# specs location and schemas
# ----------------------------------------------------------------------------------------


def test_spec_dir_is_the_checkout_specs_folder() -> None:
    assert spec_dir() == REPO / "specs"
    assert (spec_dir() / "atom.xsd").is_file()


def test_spec_dir_falls_back_to_the_packaged_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dropship_conformance import specs

    package = tmp_path / "site-packages" / "dropship_conformance"
    (package / "_specs").mkdir(parents=True)
    (package / "_specs" / "atom.xsd").write_text("<x/>")
    monkeypatch.setattr(specs, "_PACKAGE_DIR", package)
    assert specs.spec_dir.__wrapped__() == package / "_specs"
    (package / "_specs" / "atom.xsd").unlink()
    with pytest.raises(FileNotFoundError):
        specs.spec_dir.__wrapped__()


def test_schema_errors_are_readable_path_and_reason() -> None:
    root = parse_xml(current_doc().replace(b"<quantity>1</quantity>", b"<quantity>x</quantity>"))
    errors = validate_feed(root)
    assert errors
    assert all(isinstance(error, str) for error in errors)
    assert errors[0].startswith("/atom:feed/atom:entry[")
    assert "ds:quantity" in errors[0]


def test_validate_event_checks_one_payload() -> None:
    good = etree.fromstring(status_updated(1).encode())
    assert validate_event(good) == []
    bad = etree.fromstring(status_updated(1, status="Exception").encode())  # DEV-STATUS-EXCEPTION
    errors = validate_event(bad)
    assert len(errors) == 1
    assert "ds:status" in errors[0]


def test_schema_accepts_harmless_atom_extras_and_extensions() -> None:
    extras = (
        '<title type="text">Dropship Order Event Feed</title>'
        '<subtitle>Orders</subtitle><generator uri="https://iqmetrix.com" version="1">x</generator>'
        '<category term="dropship"/><rights type="html">&lt;b&gt;c&lt;/b&gt;</rights>'
        "<icon>https://iqmetrix.com/i.png</icon>"
        '<x:ext xmlns:x="urn:example">1</x:ext><plain xmlns=""/>'
    )
    doc = current_doc(head=extras).replace(b"<feed ", b'<feed xml:lang="en" ', 1)
    assert fired(doc, "current") == set()


def test_schema_imposes_no_element_order() -> None:
    entries = [entry(2), entry(1, "order-created")]
    body = "".join(entries)
    doc = f"""<feed xmlns="http://www.w3.org/2005/Atom">{body}
      <link rel="self" href="{page_url(9)}"/><updated>{stamp(2)}</updated>
      <author><name>iQmetrix</name></author><link rel="current" href="{FEED_URL}"/>
      <id>urn:uuid:{guid(1)}</id><title>Dropship Order Event Feed</title></feed>""".encode()
    assert fired(doc, "current") == set()
    shuffled = current_doc().replace(
        b"<order-id>", b"<supplier-id>60455</supplier-id><order-id>", 1
    )
    shuffled = shuffled.replace(
        b"<supplier-id>60455</supplier-id>\n    </order-status", b"</order-status", 1
    )
    assert shuffled.count(b"<supplier-id>") == current_doc().count(b"<supplier-id>")
    assert fired(shuffled, "current") == set()


def test_schema_rejects_unknown_atom_elements_and_attributes() -> None:
    doc = current_doc(head="<title>t</title><summary>not a feed element</summary>")
    assert fired(doc, "current") == {"DS-FEED-002"}
    doc = current_doc().replace(b'<link rel="self"', b'<link bogus="1" rel="self"', 1)
    assert fired(doc, "current") == {"DS-FEED-002"}


def test_schema_ignores_location_hints_in_the_document() -> None:
    hinted = current_doc().replace(
        b"<feed ",
        b'<feed xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:schemaLocation="http://www.w3.org/2005/Atom http://example.invalid/x.xsd" ',
    )
    assert fired(hinted, "current") == set()


# ----------------------------------------------------------------------------------------
# Safe parser: each protection separately
# ----------------------------------------------------------------------------------------

SECRET = "TOPSECRET-7f3a9c"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _no_prescan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch off the first line of defence to test the parser configuration itself."""
    monkeypatch.setattr(xmlsafe, "_prescan", lambda text: None)


def test_parses_a_plain_document() -> None:
    root = parse_xml(current_doc())
    assert root.tag == f"{{{ATOM_NS}}}feed"


def test_refuses_xxe_external_entity_to_a_file(secret_file: Path) -> None:
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{secret_file.as_uri()}">]><r>&x;</r>'
    ).encode()
    with pytest.raises(UnsafeOrInvalidXML) as caught:
        parse_xml(doc)
    assert "DOCTYPE" in caught.value.reason
    assert SECRET not in str(caught.value)


def test_xxe_is_not_expanded_even_without_the_prescan(
    secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{secret_file.as_uri()}">]><r>&x;</r>'
    ).encode()
    root = etree.fromstring(doc, xmlsafe._make_parser())
    assert SECRET not in etree.tostring(root).decode()  # entity left unexpanded
    _no_prescan(monkeypatch)
    with pytest.raises(UnsafeOrInvalidXML) as caught:
        parse_xml(doc)
    assert SECRET not in str(caught.value)


def test_refuses_external_dtd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dtd = tmp_path / "leak.dtd"
    dtd.write_text(f'<!ATTLIST r leak CDATA "{SECRET}">')
    doc = f'<?xml version="1.0"?><!DOCTYPE r SYSTEM "{dtd.as_uri()}"><r/>'.encode()
    with pytest.raises(UnsafeOrInvalidXML) as caught:
        parse_xml(doc)
    assert "DOCTYPE" in caught.value.reason
    # The parser configuration alone never loads the DTD: its attribute default is absent
    # (or the refusing resolver stops the load).
    try:
        root = etree.fromstring(doc, xmlsafe._make_parser())
    except UnsafeOrInvalidXML as exc:
        assert "refused to load external resource" in exc.reason
    else:
        assert root.get("leak") is None
    _no_prescan(monkeypatch)
    with pytest.raises(UnsafeOrInvalidXML) as caught:
        parse_xml(doc)
    assert SECRET not in str(caught.value)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>"
)


def test_refuses_billion_laughs(monkeypatch: pytest.MonkeyPatch) -> None:
    started = time.monotonic()
    with pytest.raises(UnsafeOrInvalidXML) as caught:
        parse_xml(BILLION_LAUGHS)
    assert "DOCTYPE" in caught.value.reason
    # Without the prescan the parser still does not expand: libxml2 either refuses the
    # amplification or leaves the entity reference unexpanded, so the tree stays tiny.
    try:
        root = etree.fromstring(BILLION_LAUGHS, xmlsafe._make_parser())
    except etree.XMLSyntaxError as exc:
        assert "amplification" in str(exc)
    else:
        assert len(etree.tostring(root)) < 100
    _no_prescan(monkeypatch)
    with pytest.raises(UnsafeOrInvalidXML):
        parse_xml(BILLION_LAUGHS)
    assert time.monotonic() - started < 2


def test_refuses_oversize_body_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_parse(data: bytes) -> None:
        raise AssertionError("an oversize body reached the parser")

    monkeypatch.setattr(xmlsafe, "_parse", must_not_parse)
    body = b"<r>" + b"a" * 2000 + b"</r>"
    with pytest.raises(UnsafeOrInvalidXML) as caught:
        parse_xml(body, max_bytes=1000)
    assert "exceeds the limit of 1000 bytes" in caught.value.reason
    with pytest.raises(UnsafeOrInvalidXML):
        parse_xml(b" " * (xmlsafe.DEFAULT_MAX_BYTES + 1))


def test_refuses_invalid_utf8() -> None:
    with pytest.raises(UnsafeOrInvalidXML) as caught:
        parse_xml(b'<?xml version="1.0" encoding="utf-8"?><r>caf\xe9</r>')
    assert "invalid UTF-8" in caught.value.reason
    assert "offset 44" in caught.value.reason


def test_accepts_other_declared_encodings() -> None:
    assert parse_xml(b"\xff\xfe" + "<r>\u00e9</r>".encode("utf-16-le")).text == "\u00e9"
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><r>\u00e9</r>'.encode("latin-1")
    assert parse_xml(latin).text == "\u00e9"


def test_refuses_truncated_xml() -> None:
    truncated = current_doc()[:-200]
    with pytest.raises(UnsafeOrInvalidXML) as caught:
        parse_xml(truncated)
    assert "not well-formed" in caught.value.reason


def test_refuses_undeclared_entity_and_empty_body() -> None:
    with pytest.raises(UnsafeOrInvalidXML, match="not well-formed"):
        parse_xml(b"<r>&x;</r>")
    with pytest.raises(UnsafeOrInvalidXML, match="empty"):
        parse_xml(b"  \n")


def test_refuses_excessive_nesting() -> None:
    with pytest.raises(UnsafeOrInvalidXML, match="depth"):
        parse_xml(b"<a>" * 1000 + b"</a>" * 1000)


# ----------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------


def test_read_feed_builds_the_model() -> None:
    doc = read_feed(archive_doc())
    assert doc.id == "urn:uuid:" + guid(1, "ffff")
    assert doc.title == "Dropship Order Event Feed"
    assert doc.updated == T0 + timedelta(minutes=149)
    assert doc.is_archive
    assert doc.links["next-archive"] == [page_url(9)]
    assert doc.link("prev-archive") == page_url(7)
    assert len(doc.entries) == 50
    newest, oldest = doc.entries[0], doc.entries[-1]
    assert newest.payload_kind == "order-status-updated"
    assert oldest.payload_kind == "order-created"
    assert oldest.content_type == "application/xml"
    assert oldest.title == "Dropship Order Created"
    assert oldest.published == oldest.updated == T0 + timedelta(minutes=100)
    assert oldest.payload is not None and oldest.payload.tag == f"{{{DS_NS}}}order-created"
    assert oldest.order_id == guid(100, "0dd0")
    assert not read_feed(current_doc()).is_archive


def test_parse_rfc3339_needs_a_time_zone() -> None:
    assert parse_rfc3339("2015-10-23T21:37:31Z") == datetime(2015, 10, 23, 21, 37, 31, tzinfo=UTC)
    offset = parse_rfc3339("2015-10-23T23:37:31.1234567+02:00")
    assert offset == datetime(2015, 10, 23, 21, 37, 31, 123456, tzinfo=UTC)
    assert offset is not None and offset.utcoffset() == timezone(timedelta(hours=2)).utcoffset(None)
    assert parse_rfc3339("2015-10-23T21:37:31") is None
    assert parse_rfc3339("2015-02-30T21:37:31Z") is None


def test_normalize_rel() -> None:
    assert normalize_rel(None) == "alternate"
    assert normalize_rel(" Self ") == "self"
    assert normalize_rel("http://www.iana.org/assignments/relation/prev-archive") == "prev-archive"
    assert normalize_rel("http://example.com/rel/X") == "http://example.com/rel/X"


# ----------------------------------------------------------------------------------------
# Structural comparison (DS-ARCH-002)
# ----------------------------------------------------------------------------------------


def test_same_document_ignores_prefixes_whitespace_and_attribute_order() -> None:
    a = b'<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:link rel="self" href="x"/></a:feed>'
    b = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        b'  <!-- same --><link href="x" rel="self" />\n</feed>\n'
    )
    assert same_document(a, b)
    assert same_document(archive_doc(), archive_doc())


def test_same_document_sees_real_changes() -> None:
    base = archive_doc()
    assert not same_document(base, base.replace(b"<status>Shipped", b"<status>Cancelled", 1))
    assert not same_document(base, archive_doc(count=49))
    other_ns = base.replace(b'xmlns="urn:iQmetrix:dropship"', b'xmlns="urn:other"', 1)
    assert not same_document(base, other_ns)
    difference = first_difference(base, base.replace(b'rel="self"', b'rel="alternate"'))
    assert difference is not None and "atom:link" in difference


# ----------------------------------------------------------------------------------------
# Rules
# ----------------------------------------------------------------------------------------


def test_sandbox_like_documents_pass_every_rule() -> None:
    assert check_document(current_doc(), "current") == []
    assert check_document(archive_doc(), "archive") == []


def test_first_current_document_and_oldest_archive_need_no_prev_archive() -> None:
    assert check_document(current_doc(links=current_links(prev=False)), "current") == []
    assert check_document(archive_doc(links=archive_links(prev=False)), "archive") == []


def test_unknown_role_is_an_error() -> None:
    with pytest.raises(ValueError, match="role"):
        check_document(current_doc(), "page")  # type: ignore[arg-type]


def _replace_first(doc: bytes, old: bytes, new: bytes) -> bytes:
    assert old in doc, old
    return doc.replace(old, new, 1)


# requirement id -> list of (description, role, document, exact set of ids that fire)
BREAKERS: dict[str, list[tuple[str, str, bytes, set[str]]]] = {
    "DS-FEED-002": [
        (
            "payload status outside ItemStatus (DEV-STATUS-EXCEPTION)",
            "current",
            current_doc().replace(b"<status>Shipped", b"<status>Exception"),
            {"DS-FEED-002"},
        ),
        (
            "updated without time zone (also DS-FEED-014)",
            "current",
            current_doc(updated="2026-01-05T12:02:00"),
            {"DS-FEED-002", "DS-FEED-014"},
        ),
        (
            "fh:archive with content",
            "archive",
            archive_doc().replace(b"<fh:archive />", b"<fh:archive>yes</fh:archive>"),
            {"DS-FEED-002"},
        ),
        (
            "unknown dropship field",
            "current",
            current_doc().replace(b"<quantity>1</quantity>", b"<quantity>1</quantity><x>1</x>", 1),
            {"DS-FEED-002"},
        ),
        (
            "missing required dropship field",
            "current",
            current_doc().replace(b"<sku>AB-JH0786-MI</sku>", b"", 1),
            {"DS-FEED-002"},
        ),
        (
            "root is not atom:feed",
            "current",
            b'<entry xmlns="http://www.w3.org/2005/Atom"/>',
            {"DS-FEED-002"},
        ),
        ("not well-formed", "current", current_doc()[:-30], {"DS-FEED-002"}),
    ],
    "DS-FEED-013": [
        (
            "two feed titles",
            "current",
            current_doc(head="<title>A</title><title>B</title>"),
            {"DS-FEED-013"},
        ),
        ("no author", "current", current_doc(author=""), {"DS-FEED-013"}),
        (
            "author without name",
            "current",
            current_doc(author="<author><uri>https://iqmetrix.com</uri></author>"),
            {"DS-FEED-013"},
        ),
        (
            "no feed id and no feed updated",
            "current",
            _replace_first(
                current_doc(),
                f"<id>urn:uuid:{guid(1, 'ffff')}</id>\n  <updated>{stamp(2)}</updated>".encode(),
                b"",
            ),
            {"DS-FEED-013"},
        ),
        (
            "entry without published",
            "current",
            _replace_first(current_doc(), f"<published>{stamp(2)}</published>".encode(), b""),
            {"DS-FEED-013"},
        ),
    ],
    "DS-FEED-014": [
        (
            "published with lowercase t and z (also invalid against atom.xsd)",
            "current",
            _replace_first(
                current_doc(),
                f"<published>{stamp(2)}</published>".encode(),
                f"<published>{stamp(2).replace('T', 't').replace('Z', 'z')}</published>".encode(),
            ),
            {"DS-FEED-002", "DS-FEED-014"},
        ),
        (
            "entry updated without seconds",
            "archive",
            _replace_first(
                archive_doc(),
                f"<updated>{stamp(120)}</updated>".encode(),
                f"<updated>{stamp(120)[:-4]}Z</updated>".encode(),
            ),
            {"DS-FEED-002", "DS-FEED-014"},
        ),
    ],
    "DS-FEED-003": [
        (
            "feed id without scheme",
            "current",
            current_doc(feed_id=guid(1, "ffff")),
            {"DS-FEED-003"},
        ),
    ],
    "DS-FEED-004": [
        (
            "entry id not a UUID (DEV-ENTRY-ID-NOT-UUID)",
            "current",
            _replace_first(
                current_doc(),
                b"urn:uuid:" + guid(1, "eeee").encode(),
                b"urn:uuid:gf456fd486-df4s56g-d45fdsf-f74ds8fds456fs",
            ),
            {"DS-FEED-004"},
        ),
        (
            "entry id a bare GUID (also not an absolute IRI)",
            "current",
            _replace_first(
                current_doc(), b"urn:uuid:" + guid(1, "eeee").encode(), guid(1, "eeee").encode()
            ),
            {"DS-FEED-003", "DS-FEED-004"},
        ),
    ],
    "DS-FEED-005": [
        (
            "two events with one id (also listed twice)",
            "current",
            feed(
                [
                    entry(2, entry_id="urn:uuid:" + guid(5)),
                    entry(1, entry_id="urn:uuid:" + guid(5)),
                ],
                updated=stamp(2),
                links=current_links(),
            ),
            {"DS-FEED-005", "DS-FEED-017"},
        ),
    ],
    "DS-FEED-017": [
        (
            "one event listed twice (RFC 4287 4.1.1 allows it: DEV-REPEATED-ENTRY)",
            "current",
            feed([entry(2), entry(2), entry(1)], updated=stamp(2), links=current_links()),
            {"DS-FEED-017"},
        ),
    ],
    "DS-FEED-006": [
        (
            "feed updated before the newest entry",
            "current",
            current_doc(updated=stamp(1)),
            {"DS-FEED-006", "DS-FEED-007"},
        ),
    ],
    "DS-FEED-007": [
        (
            "feed updated after the newest entry (DEV-FEED-UPDATED)",
            "current",
            current_doc(updated=stamp(3)),
            {"DS-FEED-007"},
        ),
    ],
    "DS-FEED-008": [
        (
            "a new order after an older entry (also not newest first)",
            "current",
            feed([entry(1), entry(2, "order-created")], updated=stamp(2), links=current_links()),
            {"DS-FEED-008", "DS-FEED-018"},
        ),
    ],
    "DS-FEED-018": [
        (
            "status updates oldest first (DEV-FEED-ORDER)",
            "current",
            feed([entry(1), entry(2)], updated=stamp(2), links=current_links()),
            {"DS-FEED-018"},
        ),
    ],
    "DS-FEED-009": [
        (
            "51 entries",
            "current",
            feed(archive_entries(51), updated=stamp(150), links=current_links()),
            {"DS-FEED-009"},
        ),
    ],
    "DS-FEED-010": [
        (
            "no self link",
            "current",
            current_doc(links={"current": FEED_URL, "prev-archive": page_url(8)}),
            {"DS-FEED-010"},
        ),
        (
            "no current link",
            "current",
            current_doc(links={"self": page_url(9)}),
            {"DS-FEED-010"},
        ),
        (
            "two self links",
            "current",
            current_doc().replace(
                b'<link rel="prev-archive"',
                f'<link rel="self" href="{page_url(10)}" />'.encode() + b'<link rel="prev-archive"',
                1,
            ),
            {"DS-FEED-010"},
        ),
    ],
    "DS-FEED-011": [
        (
            "content type text/plain",
            "current",
            current_doc().replace(b'type="application/xml"', b'type="text/plain"', 1),
            {"DS-FEED-011"},
        ),
        (
            "content without type (RFC 4287: text)",
            "current",
            current_doc().replace(b' type="application/xml"', b"", 1),
            {"DS-FEED-011"},
        ),
        (
            "no content (also DS-FEED-013)",
            "current",
            feed([entry(2, content=""), entry(1)], updated=stamp(2), links=current_links()),
            {"DS-FEED-011", "DS-FEED-013"},
        ),
        (
            "two events in one content (also invalid against atom.xsd)",
            "current",
            feed(
                [
                    entry(
                        2,
                        content=f'<content type="application/xml">{status_updated(2)}'
                        f"{status_updated(3)}</content>",
                    ),
                    entry(1),
                ],
                updated=stamp(2),
                links=current_links(),
            ),
            {"DS-FEED-002", "DS-FEED-011"},
        ),
        (
            "event in another namespace (also invalid against atom.xsd)",
            "current",
            current_doc().replace(b'xmlns="urn:iQmetrix:dropship"', b'xmlns="urn:other"', 1),
            {"DS-FEED-002", "DS-FEED-011"},
        ),
        (
            "text beside the event",
            "current",
            current_doc().replace(
                b'<content type="application/xml">', b'<content type="application/xml">see:', 1
            ),
            {"DS-FEED-011"},
        ),
    ],
    "DS-FEED-019": [
        (
            "content type text/xml (an XML media type: DEV-CONTENT-TYPE)",
            "current",
            current_doc().replace(b'type="application/xml"', b'type="text/xml"', 1),
            {"DS-FEED-019"},
        ),
    ],
    "DS-FEED-012": [
        (
            "created title on a status update",
            "current",
            feed(
                [entry(2, title="Dropship Order Created"), entry(1, "order-created")],
                updated=stamp(2),
                links=current_links(),
            ),
            {"DS-FEED-012"},
        ),
    ],
    "DS-ARCH-001": [
        ("51 entries", "archive", archive_doc(count=51), {"DS-ARCH-001", "DS-FEED-009"}),
    ],
    "DS-ARCH-011": [
        ("49 entries", "archive", archive_doc(count=49), {"DS-ARCH-011"}),
    ],
    "DS-ARCH-003": [
        (
            "no self link",
            "archive",
            archive_doc(links={"current": FEED_URL, "next-archive": page_url(9)}),
            {"DS-ARCH-003"},
        ),
        (
            "no self and no current",
            "archive",
            archive_doc(links={"next-archive": page_url(9), "prev-archive": page_url(7)}),
            {"DS-ARCH-003"},
        ),
    ],
    "DS-ARCH-006": [
        ("no fh:archive (DEV-FH-ARCHIVE)", "archive", archive_doc(archive=False), {"DS-ARCH-006"}),
        (
            "fh:archive in the current document",
            "current",
            current_doc(archive=True),
            {"DS-ARCH-006"},
        ),
    ],
}

_CASES = [
    pytest.param(role, doc, expected, id=f"{requirement}: {what}")
    for requirement, cases in BREAKERS.items()
    for what, role, doc, expected in cases
]


def test_every_registered_rule_has_a_breaking_document() -> None:
    assert set(BREAKERS) == registered_ids()


@pytest.mark.parametrize(("role", "doc", "expected"), _CASES)
def test_breaking_document_fires_exactly_the_expected_rules(
    role: str, doc: bytes, expected: set[str]
) -> None:
    assert fired(doc, role) == expected


def test_violation_messages_say_expected_and_found() -> None:
    violations = check_document(current_doc(updated=stamp(3)), "current")
    assert len(violations) == 1
    message = violations[0].message
    assert "expected" in message and "found" in message
    assert stamp(2) in message and stamp(3) in message


def test_archive_rules_do_not_apply_to_the_current_document() -> None:
    assert fired(current_doc(), "current") == set()
    # The current document's links (self, current, prev-archive) are an archive's too, the
    # newest's without next-archive (DEV-ARCHIVE-NEXT).
    assert fired(current_doc(), "archive") == {"DS-ARCH-011", "DS-ARCH-006"}
