"""The harness catches the sandbox's conditional bugs, and raises no false alarm without one.

Each case starts a fresh sandbox with one bug of ``dropship_conformance.sandbox.bugs`` on and
runs the harness against it in another process, limited to the suites that can see the bug
(see dropship_conformance.faults.conditional). A bug the table marks ``caught=False`` is an
expected failure (strict: once a suite catches it, the table must say so).
"""

from __future__ import annotations

import pytest

from dropship_conformance.catalogue import catalogue
from dropship_conformance.cli import main
from dropship_conformance.faults.conditional import Catch, attempt, catch_line, suites_of
from dropship_conformance.sandbox.bugs import BUGS, CONDITIONS, Bug, bugs_named
from tests.selfcheck import sample


def _case(bug: Bug) -> object:
    reason = f"no suite sees {bug.requirement} under its condition ({bug.condition}) yet"
    marks = [] if bug.caught else [pytest.mark.xfail(reason=reason, strict=True)]
    return pytest.param(bug, id=bug.name, marks=marks)


def test_bugs_are_named_once_and_break_a_quoted_requirement() -> None:
    names = [bug.name for bug in BUGS]
    assert len(names) == len(set(names)) >= 20
    requirements = catalogue()
    for bug in BUGS:
        requirement = requirements[bug.requirement]
        # A MUST in some class it belongs to (the LINK rules are MUST inside ``linked``).
        assert requirement.level_in(requirement.classes) == "MUST", bug.name
        assert requirement.basis, bug.name
        assert bug.condition in CONDITIONS, bug.name
    assert {bug.condition for bug in BUGS} == set(CONDITIONS)


def test_an_unknown_bug_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="--list-bugs"):
        bugs_named(["no-such-bug"])


@pytest.mark.slow
def test_baseline_without_bug_passes() -> None:
    suites = tuple(sorted({suite for bug in BUGS for suite in suites_of(bug)}))
    outcome = attempt(None, suites)
    assert outcome.exit_code == 0, f"false alarms: {sorted(outcome.failed)}"


@pytest.mark.slow
# One bug per (condition, caught) by default; DROPSHIP_SELFCHECK=full runs them all.
@pytest.mark.parametrize(
    "bug", [_case(bug) for bug in sample(BUGS, lambda bug: (bug.condition, bug.caught))]
)
def test_bug_is_caught(bug: Bug) -> None:
    outcome = attempt(bug)
    assert outcome.exit_code == 1, f"the run did not fail (exit {outcome.exit_code})"
    assert bug.requirement in outcome.failed, (
        f"{bug.name} breaks {bug.requirement}, but the failed requirements were "
        f"{sorted(outcome.failed) or 'none'}"
    )


def _catch(exit_code: int, failed: set[str], warned: set[str]) -> Catch:
    return Catch(
        name="some-bug",
        requirement="LINK-004",
        exit_code=exit_code,
        failed=frozenset(failed),
        seconds=1.0,
        caught_by=("test_linked",) if "LINK-004" in failed else (),
        warned=frozenset(warned),
    )


def test_a_bug_seen_only_as_a_should_is_warned_in_the_table() -> None:
    """Not caught is not unseen: an outcome whose requirement only warned (a SHOULD, as under
    a foreign target's claims) reads "warned", a failed one "caught", neither "MISSED".

    Every bug of the table breaks a MUST, so no live bug gives this outcome; the table's
    column is proved on outcomes built here."""
    warned = _catch(0, set(), {"LINK-004"})
    assert warned.only_warned and not warned.killed
    assert catch_line(warned).split()[2] == "warned"
    caught = _catch(1, {"LINK-004"}, {"LINK-004"})
    assert caught.killed and not caught.only_warned
    assert catch_line(caught).split()[2] == "caught"
    missed = _catch(1, {"ORD-ERR-004"}, {"DS-FEED-001"})
    assert not missed.killed and not missed.only_warned
    assert catch_line(missed).split()[2] == "MISSED"


def test_sandbox_lists_its_bugs_and_refuses_an_unknown_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sandbox", "--list-bugs"]) == 0
    listed = capsys.readouterr().out
    assert all(bug.name in listed and bug.requirement in listed for bug in BUGS)
    assert main(["sandbox", "--db", ":memory:", "--bug", "no-such-bug"]) == 2
    assert "no-such-bug" in capsys.readouterr().err
    assert main(["bugs", "no-such-bug"]) == 2
