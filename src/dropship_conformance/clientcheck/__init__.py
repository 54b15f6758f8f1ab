"""Judging a supplier's client: ``dropship-conformance verify-client``.

The flow: :mod:`.runner` starts the reference sandbox behind the :mod:`.recorder` middleware,
loads a scenario of :mod:`.scenarios`, runs the client command with the sandbox's URLs and
token in its environment, keeps adding orders while it runs, and stops it when the scenario
is complete or its time is up. Everything the client sent, and the sandbox's final state, is
written to one JSON file (the *client run*, :mod:`.traffic`). pytest then runs the packaged
checks in ``checks/`` over that file with the harness plugin, so verdicts per requirement id,
the HTML report and the JUnit XML look exactly like a server run.

The checks are tables of small named functions: :mod:`.request_checks` (every request),
:mod:`.behaviour_checks` (the run as a whole, including the polling rule) and
:mod:`.outcome_checks` (what the scenario expects to have happened).
"""
