"""Root conftest: keeps pytest's rootdir at the repository top.

The harness's options, fixtures and report hooks live in the package's pytest plugin
(registered through the ``pytest11`` entry point), so ``pytest contract_tests`` and
``dropship-conformance run`` behave the same.
"""
