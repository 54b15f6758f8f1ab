"""Sandbox profiles: which of the documents' allowed readings the sandbox follows.

The default profile (``strict``) follows the later editions (001 over 000, 004 over 003) as
``specs/DEVIATIONS.md`` decides. The ``lenient`` profile switches on, at once, every other
reading the documents allow (an earlier edition, another section, a documented example), so
that the harness can be proven never to fail a reading it documents as allowed: the default run
against ``sandbox --profile lenient`` must pass with no failed requirement.

Each flag names the reading it switches on and the DEVIATIONS entry that allows it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

FULL_PAGE = 50  # 000 §Order Feed, 002 §Step 2
SHORT_ARCHIVE_PAGE = 40


@dataclass(frozen=True)
class Profile:
    """The readings the sandbox follows; every flag is False in ``strict``."""

    name: str = "strict"
    # ---- Supplier Orders API (000/001/002) ----
    #: 000 §Update Item Status lists ItemInformation as optional: an ItemStatusUpdate without
    #: items (absent, null or []) is accepted and records nothing (DEV-ITEMINFORMATION-REQUIRED).
    item_information_optional: bool = False
    #: 000 §Update Item Status makes item TrackingInfo Required: an ItemInformation without
    #: one is refused, whatever its status (DEV-ITEM-TRACKING-REQUIRED).
    item_tracking_required: bool = False
    #: 001 §OVERVIEW: a Shipped update "must ... include a tracking number and shipping
    #: carrier": one without TrackingInfo or ShippingProvider is refused (DEV-SHIPPED-TRACKING).
    shipped_requires_tracking: bool = False
    #: 000 §Update Item Status and 002 §Updating the Item Status send TrackingInfo as a JSON
    #: number: accepted, echoed as sent and fed as its digits (DEV-NUMERIC-TRACKINGINFO).
    numeric_tracking_info: bool = False
    #: 001 §PUT Order Status / §PUT Item Status send a body Id other than the URI's OrderId and
    #: get 202: the update applies to the URI's order (DEV-BODY-ID-MISMATCH).
    body_id_mismatch_accepted: bool = False
    #: A numeric string status ("6") is read as that id (DEV-STATUS-NAME-OR-ID).
    numeric_string_status: bool = False
    #: 000 §Update Item Status and 002 §Updating the Item Status echo items without the
    #: ProductName that was sent, and with the order's CatalogId and Quantity and null
    #: reserved fields (DEV-ECHO-ENRICHED).
    echo_as_000: bool = False
    #: Values an update did not send are left out of the fed item-information instead of
    #: i:nil (DS-EVT-006 "nil or absent"; DEV-FEED-NIL-OR-ABSENT).
    feed_omits_unsent: bool = False
    #: catalog-id and quantity an update did not send are unknown in the fed item-information
    #: (001 §OrderStatusUpdated: "where known"), not filled from the order (DEV-FEED-NIL-OR-ABSENT).
    feed_unsent_catalog_quantity_unknown: bool = False
    #: An OrderId naming no order of the supplier answers 400 ``The request is invalid``, as
    #: an incorrect PageId does (001 §ERRORS), not 404 (DEV-DROPSHIP-UNDOCUMENTED-ERRORS).
    unknown_order_400: bool = False
    #: Pages are archived at 40 entries: 001 §GET Order Feed Archives gives "up to 50" entries
    #: a page, only 002's paging rule makes them full (DEV-ARCHIVE-SIZE).
    short_archive_pages: bool = False
    #: A request without the Authorization header, or with a scheme other than Bearer, answers
    #: 400; no error row gives its status (DEV-AUTH-STATUS).
    missing_credentials_400: bool = False
    #: Entry content is typed text/xml, an XML media type (RFC 4287 §4.1.3.3); every example
    #: writes application/xml (DEV-CONTENT-TYPE).
    feed_content_text_xml: bool = False
    #: order-created carries no shipping-entity-id, which only 001 lists (DEV-EDITION-FIELDS).
    feed_omits_shipping_entity_id: bool = False
    #: The newest archive carries no next-archive; only the 000 example names the current page
    #: there, and RFC 5005 §4 lets it out (DEV-ARCHIVE-NEXT).
    newest_archive_without_next: bool = False
    #: Feed links are relative references (path-absolute, resolved against the document's
    #: URL); every example writes them absolute (DEV-ARCHIVE-HREFS).
    feed_relative_links: bool = False
    # Orders API (DEVIATIONS: DEV-FILTER-SHAPES, DEV-CREATE-STATE, DEV-SHIPPING-EXCLUSIVE-EXAMPLE,
    # DEV-ORDERS-UNDOCUMENTED-ERRORS, DEV-MANUAL-CANCEL, DEV-ITEM-ORDERID, DEV-ORDERFULL-ITEMS,
    # DEV-ITEMSTATUS-TABLE, DEV-PROCESS-STATE, ASSUME-EXPIRY-409).
    orders_filter_any_shape: bool = False  # a $filter of another shape answered 200, unfiltered
    orders_create_state_conflict: bool = False  # create with State Processed.. answers 409
    orders_both_shipping_fields: bool = False  # ShippingEntityId with ShippingCustomerId: 201
    orders_plain_auth_errors: bool = False  # Orders 401, gateway 404 as text/plain
    orders_no_manual_cancel: bool = False  # Pending -> Cancelled by PUT refused with 409
    orders_item_order_id_refused: bool = False  # item body OrderId of another order: 400
    orders_full_merges_items: bool = False  # PUT OrderFull keeps the items it does not send
    orders_item_status_any_type: bool = False  # ItemStatusId of another ItemType accepted
    orders_process_repeatable: bool = False  # Process of a Processed order answers 201 again
    orders_expiry_updates_only: bool = False  # an expired order still takes Items and Process
    # Orders API readings of 003 and of the silent spots (DEVIATIONS: DEV-EXPIRY-EXAMPLE,
    # DEV-UPDATE-REQUIRED-FIELDS, DEV-EMPLOYEEID-COMPANY, DEV-REPEATED-PENDING,
    # DEV-ORDERFULL-REFUSAL, DEV-BILLING-MESSAGE, DEV-FILTER-OTHER-STATES).
    orders_expiry_from_update: bool = False  # resent OrderExpiryHours count from the update
    orders_update_fields_optional: bool = False  # PUT without EntityId, OrderTypeId, item ids: 200
    orders_employee_any: bool = False  # an EmployeeId of no employee of the company is taken
    orders_repeated_pending_conflict: bool = False  # Pending -> Pending by PUT answers 409
    orders_full_update_refused_400: bool = False  # OrderFull outside Created/Pending: 400, not 409
    orders_billing_message_bad_request: bool = False  # Process without billing: "Bad Request"
    orders_filter_pending_only: bool = False  # $filter on a State other than Pending: 400

    @property
    def archive_page_size(self) -> int:
        """Entries a feed page holds before it is archived (``short_archive_pages``)."""
        return SHORT_ARCHIVE_PAGE if self.short_archive_pages else FULL_PAGE

    @classmethod
    def lenient(cls) -> Profile:
        """Every alternative reading on."""
        values = {f.name: True for f in fields(cls) if f.type in (bool, "bool")}
        return cls(name="lenient", **values)


PROFILES: dict[str, Profile] = {"strict": Profile(), "lenient": Profile.lenient()}


def profile_named(name: str) -> Profile:
    """The profile called ``name``; an unknown name is a ValueError naming the choices."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"no sandbox profile {name!r} (choose {', '.join(PROFILES)})") from None
