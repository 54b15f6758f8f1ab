"""The conformance harness: a pytest plugin (options, fixtures, verdicts, reports) that the
suites in ``contract_tests/`` and the ``dropship-conformance run`` command share."""
