"""The one registry of checks against the catalogue: every server requirement is judged by a
registered check, no check names an id the catalogue lacks, and ids.py is what the catalogue
generates."""

from __future__ import annotations

from dropship_conformance.catalogue import catalogue
from dropship_conformance.checks import generate, registered_ids
from dropship_conformance.checks.registry import REGISTRY


def server_ids() -> set[str]:
    return {rid for rid, rule in catalogue().items() if rule.party == "server"}


def test_every_server_requirement_has_a_registered_check() -> None:
    missing = sorted(server_ids() - registered_ids())
    assert not missing, f"server requirements no check is registered under: {missing}"


def test_registered_ids_are_in_the_catalogue() -> None:
    unknown = sorted(registered_ids() - set(catalogue()))
    assert not unknown, unknown


def test_registry_names_where_each_check_lives() -> None:
    registered_ids()
    for rid, entries in REGISTRY.items():
        assert all(entry.module.startswith("dropship_conformance.") for entry in entries), rid


def test_ids_module_is_generated_from_the_catalogue() -> None:
    written = generate.Path(generate.__file__).with_name("ids.py").read_text(encoding="utf-8")
    assert written == generate.render(), "run: python -m dropship_conformance.checks.generate"
