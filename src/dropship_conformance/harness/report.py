"""What a report shows: per-test checks and exchanges, and the requirement matrix.

All target content is escaped here (``html.escape``) before it reaches the HTML report: a
target may answer with markup or script, and the report must show it, not run it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html import escape

from dropship_conformance.catalogue import Requirement, catalogue
from dropship_conformance.client import Exchange
from dropship_conformance.verdicts import Check, Verdict, combine

VERDICT_STYLE = {
    Verdict.PASSED: "#2e7d32",
    Verdict.FAILED: "#c62828",
    Verdict.WARNED: "#ef6c00",
    Verdict.SKIPPED: "#616161",
    Verdict.NOT_CHECKED: "#9e9e9e",
}


@dataclass(frozen=True)
class Decision:
    """One test's verdict on one requirement."""

    nodeid: str
    verdict: Verdict
    message: str


@dataclass
class Matrix:
    """Requirement id -> the decisions of every test that judged it."""

    decisions: dict[str, list[Decision]] = field(default_factory=dict)

    def add(self, requirement_id: str, decision: Decision) -> None:
        self.decisions.setdefault(requirement_id, []).append(decision)

    def verdict(self, requirement_id: str) -> Verdict:
        return combine([d.verdict for d in self.decisions.get(requirement_id, [])])

    def rows(self) -> list[tuple[Requirement, Verdict, list[Decision]]]:
        return [(r, self.verdict(r.id), self.decisions.get(r.id, [])) for r in catalogue().values()]

    def counts(self) -> Counter[Verdict]:
        return Counter(verdict for _, verdict, _ in self.rows())


def _badge(verdict: Verdict) -> str:
    return f'<span style="color:{VERDICT_STYLE[verdict]};font-weight:bold">{verdict.value}</span>'


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
        f"<details{' open' if index == len(exchanges) - 1 else ''}><summary>{escape(x.summary())}"
        f"</summary><pre style='white-space:pre-wrap'>{escape(x.as_text())}</pre></details>"
        for index, x in enumerate(exchanges)
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
