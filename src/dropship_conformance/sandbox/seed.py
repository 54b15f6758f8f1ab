"""The sandbox's seeded world, as data: suppliers, companies, tokens, customers, orders.

The identities are the ones the source documents use in their examples, so a vendor can
replay a documented request against the sandbox: supplier 60455 (000/001/002), supplier
14107 (004 item ``SupplierEntityId``), company 14146 with location 14202 and the customer
``659c2a38-...`` / address ``a08b0640-...`` (004), the 003 customer ``503d1d4a-...``, and
company 33772 with location 33773 (000 ``seller`` example). A second supplier and a second
company exist so that isolation can be tested.

Everything here is copied into SQLite on first open and on ``POST /_sandbox/reset``;
nothing in the running service reads this module afterwards.
"""

from __future__ import annotations

from typing import Any

DEFAULT_TOKEN = "sandbox-token"

SUPPLIERS: list[dict[str, Any]] = [
    {"id": 60455, "name": "Sandbox supplier 60455 (000/001/002 examples)"},
    {"id": 14107, "name": "Sandbox supplier 14107 (004 item SupplierEntityId)"},
]


# The feed's shipping-address and shipping-customer fields besides their ids (000/001
# §OrderCreated); the order-created payload carries each, nil when unknown.
ADDRESS_FIELDS = (
    "attention-to",
    "country",
    "country-code",
    "locality",
    "notes",
    "phone",
    "post-office-box-number",
    "postal-code",
    "region",
    "region-code",
    "street-address-1",
    "street-address-2",
    "type",
)
CUSTOMER_FIELDS = (
    "alternate-name",
    "customer-id",
    "family-name",
    "middle-name",
    "notes",
    "primary-name",
    "title",
    "type",
)


def _address(address_id: str, **fields: Any) -> dict[str, Any]:
    """A shipping address in the feed's field names; absent fields are nil."""
    out: dict[str, Any] = {"address-id": address_id}
    for key in ADDRESS_FIELDS:
        out[key] = fields.get(key.replace("-", "_"))
    return out


def _customer(customer_id: str, **fields: Any) -> dict[str, Any]:
    """A customer in the feed's field names; absent fields are nil."""
    out: dict[str, Any] = {}
    for key in CUSTOMER_FIELDS:
        out[key] = customer_id if key == "customer-id" else fields.get(key.replace("-", "_"))
    return out


COMPANIES: list[dict[str, Any]] = [
    {
        "id": 14146,
        "name": "Sandbox company 14146 (004 examples)",
        "employees": [15, 16],
        "locations": [
            {
                "id": 14202,
                "name": "Regina Victoria Ave",
                "address": _address(
                    "6f1d2b1e-3c4a-4f5e-9a8b-7c6d5e4f3a21",
                    attention_to="Store 14202",
                    country="Canada",
                    country_code="CA",
                    locality="Regina",
                    phone="306-555-0142",
                    postal_code="S4N0P2",
                    region="Saskatchewan",
                    region_code="SK",
                    street_address_1="1900 Victoria Ave",
                    type="Store",
                ),
            },
            {
                "id": 14203,
                "name": "Saskatoon 8th Street",
                "address": _address(
                    "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                    attention_to="Store 14203",
                    country="Canada",
                    country_code="CA",
                    locality="Saskatoon",
                    phone="306-555-0143",
                    postal_code="S7H0S1",
                    region="Saskatchewan",
                    region_code="SK",
                    street_address_1="3310 8th Street East",
                    type="Store",
                ),
            },
        ],
        "customers": [
            {
                "customer": _customer(
                    "659c2a38-d083-4421-9330-46d779702f85",
                    primary_name="Jane",
                    family_name="Doe",
                    type="Person",
                ),
                "addresses": [
                    _address(
                        "a08b0640-606a-41f0-901a-facaf50e75dd",
                        attention_to="Jane Doe",
                        country="Canada",
                        country_code="CA",
                        locality="Regina",
                        phone="306-555-0199",
                        postal_code="S4P3Y2",
                        region="Saskatchewan",
                        region_code="SK",
                        street_address_1="2221 Cornwall St",
                        type="Home",
                    )
                ],
            },
            {
                "customer": _customer(
                    "503d1d4a-c974-4286-b4a2-002699e60ad6",
                    primary_name="John",
                    family_name="Smith",
                    type="Person",
                ),
                "addresses": [
                    _address(
                        "cb39f178-3577-40bb-a7e5-032f29325b09",
                        attention_to="John Smith",
                        country="Canada",
                        country_code="CA",
                        locality="Moose Jaw",
                        postal_code="S6H1A1",
                        region="Saskatchewan",
                        region_code="SK",
                        street_address_1="44 Main St N",
                        type="Home",
                    )
                ],
            },
        ],
    },
    {
        "id": 33772,
        "name": "Sandbox company 33772 (000 seller example)",
        "employees": [21],
        "locations": [
            {
                "id": 33773,
                "name": "Moose Jaw Main",
                "address": _address(
                    "2b3c4d5e-6f70-4a1b-9c2d-3e4f5a6b7c8d",
                    attention_to="Store 33773",
                    country="Canada",
                    country_code="CA",
                    locality="Moose Jaw",
                    postal_code="S6H3J6",
                    region="Saskatchewan",
                    region_code="SK",
                    street_address_1="100 Main St N",
                    type="Store",
                ),
            },
            {
                "id": 33774,
                "name": "Swift Current Central",
                "address": _address(
                    "3c4d5e6f-7081-4b2c-8d3e-4f5a6b7c8d9e",
                    attention_to="Store 33774",
                    country="Canada",
                    country_code="CA",
                    locality="Swift Current",
                    postal_code="S9H0L4",
                    region="Saskatchewan",
                    region_code="SK",
                    street_address_1="15 Central Ave N",
                    type="Store",
                ),
            },
        ],
        "customers": [
            {
                "customer": _customer(
                    "3da9470e-f1b2-4a1a-bd47-5bf18fe2d1ab",
                    primary_name="Bob",
                    family_name="Eh",
                    type="Person",
                ),
                "addresses": [
                    _address(
                        "e2c5a3f4-7b1d-4c8e-9a6f-3d2b1c0e9f87",
                        attention_to="Bob Eh",
                        country="Canada",
                        country_code="CA",
                        locality="Moosejaw",
                        postal_code="S6J1N2",
                        region="Saskatchewan",
                        region_code="SK",
                        street_address_1="742 Evergreen Terrace",
                        type="Home",
                    )
                ],
            },
        ],
    },
]

# One token can stand for a supplier and a company at once: the default token lets a
# one-token harness run use both APIs.
TOKENS: list[dict[str, Any]] = [
    {
        "token": DEFAULT_TOKEN,
        "suppliers": [60455],
        "companies": [14146],
        "description": "default: supplier 60455 and company 14146",
    },
    {
        "token": "sandbox-supplier-60455",
        "suppliers": [60455],
        "companies": [],
        "description": "supplier 60455 only",
    },
    {
        "token": "sandbox-supplier-14107",
        "suppliers": [14107],
        "companies": [],
        "description": "supplier 14107 only (isolation tests)",
    },
    {
        "token": "sandbox-company-14146",
        "suppliers": [],
        "companies": [14146],
        "description": "company 14146 only",
    },
    {
        "token": "sandbox-company-33772",
        "suppliers": [],
        "companies": [33772],
        "description": "company 33772 only (isolation tests)",
    },
    {
        "token": "sandbox-other-token",
        "suppliers": [14107],
        "companies": [33772],
        "description": "second identity: supplier 14107 and company 33772 (--other-token)",
    },
]

# Dropship orders present after a seed or reset, each with its order-created event. The ids
# and SKUs are those of the documents' examples, so documented status updates (000/001/002
# use order 0b05f9fb-... and SKUs abc123, 234oike, 9356SAMGL6S, 802975857401) can be
# replayed as they are, with a body Id equal to the URI's.
DROPSHIP_ORDERS: list[dict[str, Any]] = [
    {
        "order-id": "0b05f9fb-1210-4494-b654-d051948716b4",
        "supplier-id": 60455,
        "company-id": 14146,
        "location-id": 14202,
        "po-reference": "ABC123N1",
        "printable-id": "98764531",
        "ship-to-store": False,
        "customer-id": "659c2a38-d083-4421-9330-46d779702f85",
        "address-id": "a08b0640-606a-41f0-901a-facaf50e75dd",
        "shipping-method": "123",
        "items": [
            {
                "catalog-id": "dbc2577a-021f-4bbf-8289-ff9cac593a8b",
                "description": "SMS L720 BLU SPT RTD",
                "quantity": 1,
                "selling-price": "100",
                "sku": "abc123",
            },
            {
                "catalog-id": "4c6f8a2e-1b3d-4e5f-9a7b-8c9d0e1f2a3b",
                "description": "Fit Bit - Razor",
                "quantity": 1,
                "selling-price": "42.50",
                "sku": "234oike",
            },
            {
                "catalog-id": "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a",
                "description": "239234SMS L720 BLU SPT RTD8863",
                "quantity": 5,
                "selling-price": "19.99",
                "sku": "9356SAMGL6S",
            },
            {
                "catalog-id": "8e9f0a1b-2c3d-4e4f-9a5b-6c7d8e9f0a1b",
                "description": "BlackBerry ACC53785101 N-X1 Battery Q10",
                "quantity": 1,
                "selling-price": "29.99",
                "sku": "802975857401",
            },
        ],
    },
    {
        "order-id": "32cb2b46-fb26-48c8-9b8f-67ed759e2599",
        "supplier-id": 60455,
        "company-id": 33772,
        "location-id": 33773,
        "po-reference": "ABC124N1",
        "printable-id": "98764532",
        "ship-to-store": True,
        "shipping-entity-id": 33774,
        "customer-id": "3da9470e-f1b2-4a1a-bd47-5bf18fe2d1ab",
        "shipping-method": "123",
        "items": [
            {
                "catalog-id": "18e039de-f950-4d8e-a48a-d06e4db55a07",
                "description": "Some Item",
                "quantity": 1,
                "selling-price": "100",
                "sku": "AB-JH0786-MI",
            },
            {
                "catalog-id": "736fae29-88e2-4360-8b0e-d2e3d3254c06",
                "description": "Another Item",
                "quantity": 2,
                "selling-price": "42",
                "sku": "EM-JH073-MI",
            },
        ],
    },
    {
        "order-id": "5d1f7c3a-9b2e-4a6d-8c0f-1e2d3c4b5a69",
        "supplier-id": 14107,
        "company-id": 14146,
        "location-id": 14203,
        "po-reference": "INV112",
        "printable-id": "98764533",
        "ship-to-store": False,
        "customer-id": "503d1d4a-c974-4286-b4a2-002699e60ad6",
        "address-id": "cb39f178-3577-40bb-a7e5-032f29325b09",
        "shipping-method": "1",
        "items": [
            {
                "catalog-id": "a183f1a9-c58f-426a-930a-9a6357db52ed",
                "description": "Samsung Galaxy S4 Standard Battery",
                "quantity": 2,
                "selling-price": "9.99",
                "sku": "00001",
            },
        ],
    },
]
