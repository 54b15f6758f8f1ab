"""Conformance harness, reference sandbox and contract specification for the
Supplier Orders (dropship) API and the Orders API."""

__version__ = "0.1.0"
