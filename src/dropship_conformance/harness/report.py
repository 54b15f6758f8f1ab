"""What a report shows: the conformance page, the console lines, and the requirement matrix.

The page (:func:`page`) is one self-contained HTML file without script: the verdict and the
counts first, then each failed requirement once with the findings that broke it and their
exchanges, then warnings, a line per suite, and the full matrix and test list collapsed. Its
size is bounded whatever the target answers: bodies are cut at :data:`SHOWN_BODY_BYTES` with
their full size shown, exchanges are shown whole only as evidence of a finding (every other one
is a summary line), and lists are capped (``--har`` keeps every exchange).

All target content is escaped here (``html.escape``) before it reaches the page: a target may
answer with markup or script, and the report must show it, not run it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from html import escape

from dropship_conformance.catalogue import SUITES, Requirement, catalogue, classes
from dropship_conformance.client import Exchange
from dropship_conformance.verdicts import Check, Verdict, all_classes, combine

VERDICT_STYLE = {
    Verdict.PASSED: "#2e7d32",
    Verdict.FAILED: "#c62828",
    Verdict.WARNED: "#ef6c00",
    Verdict.SKIPPED: "#616161",
    Verdict.NOT_CHECKED: "#757575",
    Verdict.NOT_CLAIMED: "#9e9e9e",
}
# Bodies in the page are cut here; the full size is shown beside them.
SHOWN_BODY_BYTES = 4 * 1024
# Distinct findings shown whole per requirement; the others are listed by their message.
SHOWN_FINDINGS = 5
# Exchanges shown whole per finding (the test's last ones: those that decided it).
SHOWN_EVIDENCE = 3
# Summary lines of exchanges per test in the test list (first and last halves).
SHOWN_EXCHANGE_LINES = 40
# Characters of expected/found on a console line.
CONSOLE_FIELD = 160
# The four requirement counts of every summary, in this order; skipped counts as not checked.
BUCKETS = {
    "failed": (Verdict.FAILED,),
    "warned": (Verdict.WARNED,),
    "passed": (Verdict.PASSED,),
    "not checked": (Verdict.NOT_CHECKED, Verdict.SKIPPED),
}
TEST_OUTCOMES = ("failed", "passed", "skipped")
# The recorder's note on a body it cut (client/exchange.py); its number adds to the size.
_RECORDER_CUT = re.compile(r"\n\.\.\. \((\d+) more bytes not shown\)$")
# Run-specific values that make one finding look like many (order ids, numbers, times).
_VARYING = re.compile(
    r"\d{4}-\d\d-\d\dT[\d:.]+Z?|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"
    r"\d{4,}|(?<=\[)\d+(?=\])",
    re.IGNORECASE,
)
_EXPECTED_FOUND = re.compile(r"\n\s*expected: (?P<expected>.*?)\n\s*found: (?P<found>.*)\Z", re.S)


@dataclass(frozen=True)
class Decision:
    """One test's verdict on one requirement."""

    nodeid: str
    verdict: Verdict
    message: str


@dataclass(frozen=True)
class RecordedTest:
    """One test as the report lists it: pytest's outcome, its suites and its exchanges."""

    nodeid: str
    outcome: str
    suites: tuple[str, ...]
    exchanges: tuple[Exchange, ...] = ()
    detail: str = ""


@dataclass
class Matrix:
    """Requirement id -> the decisions of every test that judged it; and the tests run."""

    decisions: dict[str, list[Decision]] = field(default_factory=dict)
    # The conformance classes the target claims (--claims): the others' requirements are not
    # claimed, whatever a test saw of them.
    claims: frozenset[str] = field(default_factory=all_classes)
    tests: dict[str, RecordedTest] = field(default_factory=dict)

    def add(self, requirement_id: str, decision: Decision) -> None:
        self.decisions.setdefault(requirement_id, []).append(decision)

    def record(self, test: RecordedTest) -> None:
        self.tests[test.nodeid] = test

    def verdict(self, requirement_id: str) -> Verdict:
        if catalogue()[requirement_id].level_in(self.claims) is None:
            return Verdict.NOT_CLAIMED
        return combine([d.verdict for d in self.decisions.get(requirement_id, [])])

    def level(self, requirement: Requirement) -> str:
        """The level the run judged ``requirement`` at (a claimed class may raise it)."""
        return requirement.level_in(self.claims) or requirement.level

    def class_verdicts(self) -> dict[str, Verdict]:
        """Each conformance class's verdict: the worst of its requirements', or not claimed."""
        rows = self.rows()
        return {
            name: combine([v for r, v, _ in rows if name in r.classes])
            if name in self.claims
            else Verdict.NOT_CLAIMED
            for name in classes()
        }

    def rows(self) -> list[tuple[Requirement, Verdict, list[Decision]]]:
        return [(r, self.verdict(r.id), self.decisions.get(r.id, [])) for r in catalogue().values()]

    def counts(self) -> Counter[Verdict]:
        return Counter(verdict for _, verdict, _ in self.rows())


@dataclass(frozen=True)
class RunInfo:
    """What the page says about the run besides its verdicts."""

    target: str
    versions: str
    started: str
    finished: str
    suites: tuple[str, ...] = ()
    incomplete: str | None = None
    generation: str = ""


@dataclass(frozen=True)
class Finding:
    """One distinct failure (or warning) of a requirement and the tests that saw it."""

    message: str
    tests: tuple[str, ...]


@dataclass(frozen=True)
class Tally:
    """The one way every summary counts: requirements in scope by bucket, tests by outcome."""

    requirements: dict[str, int]
    in_scope: int
    out_of_scope: int
    tests: dict[str, int]

    def requirements_line(self) -> str:
        counts = ", ".join(f"{n} {bucket}" for bucket, n in self.requirements.items())
        return f"requirements ({self.in_scope} in scope): {counts}"

    def tests_line(self) -> str:
        counts = ", ".join(f"{self.tests[outcome]} {outcome}" for outcome in TEST_OUTCOMES)
        return f"tests ({sum(self.tests.values())} run): {counts}"


def in_scope(matrix: Matrix, suites: Iterable[str]) -> list[tuple[Requirement, Verdict]]:
    """The requirements a run claims to judge: the target's (server) requirements of the suites
    it ran (every suite when none was named), and any other one a test decided."""
    wanted = set(suites) or set(SUITES)
    return [
        (r, verdict)
        for r, verdict, decisions in matrix.rows()
        if verdict is not Verdict.NOT_CLAIMED
        and (decisions or (r.party == "server" and wanted & set(r.suites)))
    ]


def bucket_of(verdict: Verdict) -> str:
    return next(name for name, verdicts in BUCKETS.items() if verdict in verdicts)


def tally(matrix: Matrix, suites: Iterable[str]) -> Tally:
    scoped = in_scope(matrix, suites)
    buckets = Counter(bucket_of(verdict) for _, verdict in scoped)
    outcomes = Counter(test.outcome for test in matrix.tests.values())
    return Tally(
        requirements={bucket: buckets.get(bucket, 0) for bucket in BUCKETS},
        in_scope=len(scoped),
        out_of_scope=len(catalogue()) - len(scoped),
        tests={outcome: outcomes.get(outcome, 0) for outcome in TEST_OUTCOMES},
    )


def verdict_of(counts: Tally, incomplete: str | None) -> tuple[str, str]:
    """The run's verdict word and why, as the top of the page and the console say it."""
    failed = counts.requirements["failed"]
    if failed or counts.tests["failed"]:
        return "not conformant", f"{failed} requirement(s) failed"
    if incomplete:
        return "incomplete", incomplete
    if counts.requirements["passed"] + counts.requirements["warned"] == 0:
        return "incomplete", "no requirement was checked"
    unchecked = counts.requirements["not checked"]
    return "conformant", f"no requirement failed; {unchecked} of {counts.in_scope} not checked"


def findings(decisions: list[Decision], verdict: Verdict) -> list[Finding]:
    """The distinct findings among ``decisions`` of ``verdict``, most tests first: one message
    seen by many tests (ids and times aside) is one finding."""
    grouped: dict[str, list[Decision]] = {}
    for decision in decisions:
        if decision.verdict is verdict:
            grouped.setdefault(_VARYING.sub("#", decision.message), []).append(decision)
    ordered = sorted(grouped.values(), key=len, reverse=True)
    return [
        Finding(group[0].message, tuple(dict.fromkeys(d.nodeid for d in group)))
        for group in ordered
    ]


def expected_found(message: str) -> tuple[str, str]:
    """The expected and found parts of a verdict message (a crash has only what was found)."""
    match = _EXPECTED_FOUND.search(message)
    if match is None:
        return "", message.strip()
    return match["expected"].strip(), match["found"].strip()


def full_size(body: str) -> int:
    """Bytes of a recorded body as the target sent it (the recorder may have cut it already)."""
    cut = _RECORDER_CUT.search(body)
    kept = body[: cut.start()] if cut else body
    return len(kept.encode()) + (int(cut[1]) if cut else 0)


def cut_body(body: str) -> str:
    size = full_size(body)
    data = body.encode()
    if len(data) <= SHOWN_BODY_BYTES and not _RECORDER_CUT.search(body):
        return body
    shown = data[:SHOWN_BODY_BYTES].decode("utf-8", errors="ignore")
    return f"{shown}\n... (cut: {SHOWN_BODY_BYTES:,} of {size:,} bytes shown)"


def exchange_line(exchange: Exchange) -> str:
    """Method, URL, status and body size: how the page shows an exchange that proves nothing."""
    return f"{exchange.summary()} ({full_size(exchange.response_body):,} bytes)"


def _badge(verdict: Verdict) -> str:
    return f'<span style="color:{VERDICT_STYLE[verdict]};font-weight:bold">{verdict.value}</span>'


def _exchange_html(exchange: Exchange, *, open_: bool = False) -> str:
    shown = replace(
        exchange,
        request_body=cut_body(exchange.request_body),
        response_body=cut_body(exchange.response_body),
    )
    return (
        f"<details{' open' if open_ else ''}><summary>{escape(exchange_line(exchange))}</summary>"
        f"<pre>{escape(shown.as_text())}</pre></details>"
    )


def evidence(exchanges: tuple[Exchange, ...], message: str) -> tuple[Exchange, ...]:
    """The exchanges shown whole beside a finding: the last ones to a URL the finding names,
    with the status it names if any (a test may send more after the one that decided it, even
    to the same URL), else the test's last ones."""
    named = tuple(x for x in exchanges if x.url in message)
    with_status = tuple(x for x in named if f"-> {x.status}" in message)
    return (with_status or named or exchanges)[-SHOWN_EVIDENCE:]


def _evidence_html(exchanges: tuple[Exchange, ...], message: str) -> str:
    if not exchanges:
        return (
            "<p class='muted'>No HTTP exchange was recorded by this test (what it judged was "
            "fetched by a fixture it shares: see the tests list).</p>"
        )
    whole = evidence(exchanges, message)
    earlier = tuple(x for x in exchanges if x not in whole)
    lines = _lines_html(earlier)
    blocks = "".join(_exchange_html(x, open_=i == len(whole) - 1) for i, x in enumerate(whole))
    before = f"<p class='muted'>{len(earlier)} other exchange(s):</p>{lines}" if earlier else ""
    return f"{before}{blocks}"


def _lines_html(exchanges: Iterable[Exchange]) -> str:
    shown = list(exchanges)
    if not shown:
        return ""
    half = SHOWN_EXCHANGE_LINES // 2
    hidden = len(shown) - SHOWN_EXCHANGE_LINES
    if hidden > 0:
        items = [escape(exchange_line(x)) for x in shown[:half]]
        items.append(f"<i>... {hidden} more exchange(s) not listed (--har keeps every one)</i>")
        items += [escape(exchange_line(x)) for x in shown[-half:]]
    else:
        items = [escape(exchange_line(x)) for x in shown]
    return "<ul class='lines'>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _tests_html(tests: tuple[str, ...]) -> str:
    items = "".join(f"<li><code>{escape(t)}</code></li>" for t in tests)
    if len(tests) <= 3:
        return f"<ul>{items}</ul>"
    return f"<details><summary>{len(tests)} tests</summary><ul>{items}</ul></details>"


def evidence_source(finding: Finding, matrix: Matrix) -> tuple[RecordedTest | None, bool]:
    """The test whose exchanges show ``finding``, and whether it is another test that fetched
    them for a fixture the finding's tests share (a module's feed is fetched once)."""
    own = [t for nodeid in finding.tests if (t := matrix.tests.get(nodeid)) and t.exchanges]
    if own:
        return own[0], False
    modules = {nodeid.split("::", 1)[0] + "::" for nodeid in finding.tests}
    sharing = [
        t for t in matrix.tests.values() if t.exchanges and t.nodeid.startswith(tuple(modules))
    ]
    naming = [t for t in sharing if any(x.url in finding.message for x in t.exchanges)]
    chosen = next(iter(naming or sharing), None)
    return chosen, chosen is not None


def _finding_html(finding: Finding, matrix: Matrix) -> str:
    expected, found = expected_found(finding.message)
    source, shared = evidence_source(finding, matrix)
    shown = _evidence_html(source.exchanges if source else (), finding.message)
    whose = escape(source.nodeid if source else finding.tests[0])
    label = (
        f"Exchanges recorded with <code>{whose}</code> (a fixture the tests share fetched them):"
        if shared
        else f"Exchanges of <code>{whose}</code>:"
    )
    seen = f"seen in {len(finding.tests)} test(s)"
    rows = f"<tr><th>expected</th><td><pre>{escape(expected)}</pre></td></tr>" if expected else ""
    rows += f"<tr><th>found</th><td><pre>{escape(found)}</pre></td></tr>"
    return (
        f"<div class='finding'><table class='ef'>{rows}</table>"
        f"<p><b>{seen}:</b></p>{_tests_html(finding.tests)}"
        f"<p class='muted'>{label}</p>{shown}"
        "</div>"
    )


def _requirement_html(requirement: Requirement, verdict: Verdict, matrix: Matrix) -> str:
    found = findings(matrix.decisions.get(requirement.id, []), verdict)
    sources = "; ".join(str(s) for s in requirement.sources)
    basis = "".join(
        f"<blockquote>{escape(q.quote)} <cite>({escape(q.document)})</cite></blockquote>"
        for q in requirement.basis
    )
    shown = "".join(_finding_html(f, matrix) for f in found[:SHOWN_FINDINGS])
    rest = found[SHOWN_FINDINGS:]
    more = (
        f"<details><summary>{len(rest)} more distinct finding(s)</summary><ul>"
        + "".join(
            f"<li>{escape(expected_found(f.message)[1][:300])} ({len(f.tests)} test(s))</li>"
            for f in rest
        )
        + "</ul></details>"
        if rest
        else ""
    )
    return (
        f"<section class='req' id='finding-{escape(requirement.id)}'>"
        f"<h3>{_badge(verdict)} <code>{escape(requirement.id)}</code> "
        f"({matrix.level(requirement)}) "
        f"{escape(requirement.rule)}</h3><p class='muted'>Source: {escape(sources)}. "
        f"{len(found)} distinct finding(s).</p>{basis}{shown}{more}</section>"
    )


def _unchecked_html(matrix: Matrix, scoped: list[tuple[Requirement, Verdict]]) -> str:
    """The requirements in scope no check reached, each with why (the first test's reason)."""
    unchecked = [(r, v) for r, v in scoped if bucket_of(v) == "not checked"]
    if not unchecked:
        return ""
    items = "".join(
        f"<li><a href='#req-{escape(r.id)}'><code>{escape(r.id)}</code></a> {escape(r.rule)}"
        f"<br><span class='muted'>{escape(_why_unchecked(matrix, r.id))}</span></li>"
        for r, _ in unchecked
    )
    return (
        f"<h2 id='not-checked'>Not checked ({len(unchecked)})</h2><details><summary>"
        f"{len(unchecked)} requirement(s) in scope that no check reached, and why</summary>"
        f"<ul>{items}</ul></details>"
    )


def _why_unchecked(matrix: Matrix, requirement_id: str) -> str:
    reasons = Counter(d.message for d in matrix.decisions.get(requirement_id, []))
    if not reasons:
        return "no test that ran decides it"
    return "; ".join(f"{message} ({n} test(s))" for message, n in reasons.most_common(3))


def _suites_of(matrix: Matrix, requirement: Requirement) -> set[str]:
    """The suites the catalogue gives a requirement and those of every test that decided it
    (the sibling matrix judges rules the catalogue files under other suites)."""
    deciding = (matrix.tests.get(d.nodeid) for d in matrix.decisions.get(requirement.id, []))
    return set(requirement.suites).union(*(t.suites for t in deciding if t is not None))


def _suites_html(matrix: Matrix, suites: tuple[str, ...]) -> str:
    scoped = in_scope(matrix, suites)
    rows = []
    for suite in suites or SUITES:
        tests = Counter(t.outcome for t in matrix.tests.values() if suite in t.suites)
        buckets = Counter(bucket_of(v) for r, v in scoped if suite in _suites_of(matrix, r))
        if not tests and not buckets:
            continue
        rows.append(
            f"<tr><th>{escape(suite)}</th>"
            + "".join(f"<td>{buckets.get(b, 0)}</td>" for b in BUCKETS)
            + "".join(f"<td>{tests.get(o, 0)}</td>" for o in TEST_OUTCOMES)
            + "</tr>"
        )
    head = "".join(f"<th>{b}</th>" for b in BUCKETS) + "".join(
        f"<th>{o}</th>" for o in TEST_OUTCOMES
    )
    return (
        "<h2>Suites</h2><table class='grid'><tr><th rowspan='2'>suite</th>"
        f"<th colspan='{len(BUCKETS)}'>requirements</th><th colspan='{len(TEST_OUTCOMES)}'>tests"
        f"</th></tr><tr>{head}</tr>{''.join(rows)}</table>"
        "<p class='muted'>A requirement of several suites is counted in each.</p>"
    )


def _matrix_rows_html(matrix: Matrix, suites: tuple[str, ...]) -> str:
    rows = []
    for requirement, verdict in in_scope(matrix, suites):
        decisions = matrix.decisions.get(requirement.id, [])
        by_verdict = Counter(d.verdict.value for d in decisions)
        decided = ", ".join(f"{n} {v}" for v, n in by_verdict.items()) or "no test ran it"
        if decisions:
            listed = "".join(
                f"<li>{_badge(d.verdict)} <code>{escape(d.nodeid)}</code></li>" for d in decisions
            )
            reason = "" if verdict is not Verdict.NOT_CHECKED else escape(decisions[0].message)
            decided = (
                f"<details><summary>{decided}</summary><ul>{listed}</ul></details>"
                f"<span class='muted'>{reason}</span>"
            )
        sources = "<br>".join(escape(str(s)) for s in requirement.sources)
        rows.append(
            f"<tr id='req-{escape(requirement.id)}'><td><code>{escape(requirement.id)}</code></td>"
            f"<td>{matrix.level(requirement)}</td><td>{_badge(verdict)}</td>"
            f"<td>{escape(requirement.rule)}</td><td>{sources}</td><td>{decided}</td></tr>"
        )
    return "".join(rows)


def _test_list_html(matrix: Matrix) -> str:
    items = []
    for test in matrix.tests.values():
        lines = _lines_html(test.exchanges) or "<p class='muted'>no HTTP exchange</p>"
        detail = f"<pre>{escape(test.detail)}</pre>" if test.detail else ""
        items.append(
            f"<details><summary>{_badge_outcome(test.outcome)} <code>{escape(test.nodeid)}</code>"
            f" ({len(test.exchanges)} exchange(s))</summary>{detail}{lines}</details>"
        )
    return "".join(items)


def _badge_outcome(outcome: str) -> str:
    verdict = {"passed": Verdict.PASSED, "failed": Verdict.FAILED}.get(outcome, Verdict.SKIPPED)
    return f'<span style="color:{VERDICT_STYLE[verdict]};font-weight:bold">{escape(outcome)}</span>'


STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:75em;padding:0 1em;color:#212121}
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.5em}
h3{font-size:1.05em}pre{white-space:pre-wrap;word-break:break-word;background:#f5f5f5;
padding:.4em;margin:.2em 0;font-size:.85em}.muted{color:#616161;font-size:.9em}
.verdict{font-size:2em;font-weight:bold;padding:.3em .6em;color:#fff;display:inline-block;
border-radius:.2em}.counts td,.counts th{padding:.2em .8em;text-align:left}
.grid{border-collapse:collapse}.grid td,.grid th{border:1px solid #ccc;padding:.2em .5em;
vertical-align:top}.req{border-left:4px solid #ccc;padding-left:1em;margin:1em 0}
.finding{margin:.6em 0 1em 0}.ef th{text-align:left;vertical-align:top;padding-right:1em}
.ef{width:100%}blockquote{margin:.3em 0;padding-left:.8em;border-left:3px solid #90caf9}
summary{cursor:pointer}ul.lines{font-family:monospace;font-size:.85em}
"""
VERDICT_COLOURS = {"conformant": "#2e7d32", "not conformant": "#c62828", "incomplete": "#ef6c00"}


def page(matrix: Matrix, info: RunInfo) -> str:
    """The whole report: one self-contained page (inline style, no script, no external asset)."""
    counts = tally(matrix, info.suites)
    word, why = verdict_of(counts, info.incomplete)
    scope = ", ".join(info.suites) if info.suites else "all suites"
    scoped = in_scope(matrix, info.suites)
    sections = []
    for verdict, title in ((Verdict.FAILED, "Failed requirements"), (Verdict.WARNED, "Warnings")):
        chosen = [(r, v) for r, v in scoped if v is verdict]
        if chosen:
            sections.append(
                f"<h2 id='{verdict.name.lower()}'>{title} ({len(chosen)})</h2>"
                + "".join(_requirement_html(r, v, matrix) for r, v in chosen)
            )
    incomplete = (
        f"<p class='incomplete' style='color:#c62828;font-weight:bold'>"
        f"incomplete: {escape(info.incomplete)}</p>"
        if info.incomplete
        else ""
    )
    requirement_cells = "".join(
        f"<td>{_badge(BUCKETS[b][0])}: <b>{n}</b></td>" for b, n in counts.requirements.items()
    )
    test_cells = "".join(f"<td>{o}: <b>{counts.tests[o]}</b></td>" for o in TEST_OUTCOMES)
    class_cells = "".join(
        f"<td>{escape(name)}: {_badge(verdict)}</td>"
        for name, verdict in matrix.class_verdicts().items()
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Dropship and Orders API conformance report</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Dropship and Orders API conformance report</h1>"
        f"<p><span class='verdict' id='verdict' style='background:{VERDICT_COLOURS[word]}'>"
        f"{escape(word.upper())}</span> <span id='why'>{escape(why)}</span></p>{incomplete}"
        f"<table class='counts'><tr><th>Requirements ({counts.in_scope} in scope)</th>"
        f"{requirement_cells}</tr><tr><th>Tests ({sum(counts.tests.values())} run)</th>"
        f"{test_cells}</tr><tr><th>Conformance classes</th>{class_cells}</tr></table>"
        f"<p><b>Target:</b> {escape(info.target.removeprefix('target: '))}<br>"
        f"<b>Scope claimed:</b> classes {escape(', '.join(sorted(matrix.claims)))}; "
        f"suites {escape(scope)} "
        f"({counts.in_scope} requirements; {counts.out_of_scope} others of the catalogue are out "
        f"of scope)<br><b>Versions:</b> {escape(info.versions)}<br>"
        + (f"<b>Generated:</b> {escape(info.generation)}<br>" if info.generation else "")
        + "<b>Run:</b> "
        f"{escape(info.started)} to {escape(info.finished)}</p>"
        "<p class='muted'>A MUST that fails fails the run; a SHOULD that fails is a warning. A "
        "requirement is passed only when a check observed it; one no check reached (skipped, "
        "stopped earlier, precondition not established) is not checked. Bodies are cut at "
        f"{SHOWN_BODY_BYTES:,} bytes, with their full size shown; bearer tokens are redacted.</p>"
        + "".join(sections)
        + _unchecked_html(matrix, scoped)
        + _suites_html(matrix, info.suites)
        + f"<h2>Requirement matrix</h2><details><summary>{counts.in_scope} requirements in "
        "scope, with the tests that decided each</summary><table class='grid "
        "requirement-matrix'><tr><th>id</th><th>level</th><th>verdict</th><th>rule</th>"
        f"<th>source</th><th>decided by</th></tr>{_matrix_rows_html(matrix, info.suites)}"
        f"</table></details><h2>Tests</h2><details><summary>{len(matrix.tests)} tests, with a "
        f"line per exchange</summary>{_test_list_html(matrix)}</details></body></html>\n"
    )


def console_lines(matrix: Matrix, info: RunInfo) -> list[str]:
    """The console's summary: one line per failed (then warned) requirement, then the counts
    and the verdict, counted as the page counts them."""
    lines = []
    for requirement, verdict in in_scope(matrix, info.suites):
        if verdict not in (Verdict.FAILED, Verdict.WARNED):
            continue
        found = findings(matrix.decisions.get(requirement.id, []), verdict)
        expected, seen = expected_found(found[0].message) if found else ("", "")
        tests = sum(len(f.tests) for f in found)
        lines.append(
            f"{verdict.value.upper()} {requirement.id} ({matrix.level(requirement)}) "
            f"{requirement.rule}"
            f" | expected: {_short(expected or '-')} | found: {_short(seen)}"
            f" | {len(found)} finding(s) in {tests} test(s)"
        )
    counts = tally(matrix, info.suites)
    word, why = verdict_of(counts, info.incomplete)
    lines += [counts.requirements_line(), counts.tests_line(), f"verdict: {word} ({why})"]
    return lines


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= CONSOLE_FIELD else flat[: CONSOLE_FIELD - 3] + "..."


def checks_html(checks: list[Check]) -> str:
    if not checks:
        return "<p>No requirement was judged by this test.</p>"
    rows = "".join(
        f"<tr><td>{_badge(c.verdict)}</td><td><pre style='white-space:pre-wrap;margin:0'>"
        f"{escape(c.message)}</pre></td></tr>"
        for c in checks
    )
    return f"<table><tr><th>verdict</th><th>requirement</th></tr>{rows}</table>"


def exchanges_html(exchanges: list[Exchange]) -> str:
    if not exchanges:
        return "<p>No HTTP exchange.</p>"
    blocks = "".join(
        _exchange_html(x, open_=index == len(exchanges) - 1) for index, x in enumerate(exchanges)
    )
    return f"<h4>HTTP exchanges ({len(exchanges)})</h4>{blocks}"


def matrix_html(matrix: Matrix) -> str:
    counts = matrix.counts()
    summary = ", ".join(f"{counts.get(v, 0)} {v.value}" for v in Verdict)
    rows = []
    for requirement, verdict, decisions in matrix.rows():
        sources = "<br>".join(escape(str(s)) for s in requirement.sources)
        tests = "<br>".join(f"{_badge(d.verdict)} {escape(d.nodeid)}" for d in decisions) or "-"
        rows.append(
            f"<tr id='req-{escape(requirement.id)}'><td><code>{escape(requirement.id)}</code></td>"
            f"<td>{requirement.level}</td>"
            f"<td>{_badge(verdict)}</td><td>{escape(requirement.rule)}</td><td>{sources}</td>"
            f"<td>{tests}</td></tr>"
        )
    attention = "".join(
        f"<p><b>{verdict.value}:</b> "
        + ", ".join(f"<a href='#req-{escape(r.id)}'>{escape(r.id)}</a>" for r in ids)
        + "</p>"
        for verdict in (Verdict.FAILED, Verdict.WARNED)
        if (ids := [r for r, v, _ in matrix.rows() if v is verdict])
    )
    return (
        f"<h2>Requirement matrix</h2><p>{len(rows)} requirements: {summary}. MUST requirements "
        f"that fail fail the run; SHOULD requirements that fail are warnings.</p>{attention}"
        "<table class='requirement-matrix' border='1' style='border-collapse:collapse'>"
        "<tr><th>id</th><th>level</th><th>verdict</th><th>rule</th><th>source</th>"
        f"<th>decided by</th></tr>{''.join(rows)}</table>"
    )
