"""Executable models of the documented systems, independent of the reference sandbox's code."""

from dropship_conformance.model.linked import Event, Item, LinkedSystem, Order, Refused

__all__ = ["Event", "Item", "LinkedSystem", "Order", "Refused"]
