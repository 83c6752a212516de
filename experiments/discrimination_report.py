"""discrimination.csv and discrimination.md: which variants the patterns reject
(``discrimination.discriminate``), headline first, then the variants by verdict."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lpsa.model import Scenario

from . import io
from .discrimination import REJECTED_BY_EVIDENCE, WILL_IS_THE_BARRIER
from .formatting import fixed
from .patterns import PATTERNS

WILL_DRIVEN_WHY = (
    "The evaluation rejects a will-driven theory from what councils and departments said held them "
    "back: no time to think about new approaches, no resources to develop them, no "
    "performance culture, weak partnerships, not knowing the root causes (001:89). Those "
    "statements are the evidence for the model's mechanisms (capacity, PPG, late start), not "
    "outcome patterns. The outcome patterns the seeds give (the interim forecast's shares, "
    "improvement among likely misses, the partnership gap) are levels and orderings that a "
    "will-driven model also produces once its will and reward effect are set within their "
    "ranges. A pattern that could reject it would relate attainment to capacity, thinking "
    "time or PPG across councils (001:91: PPG 'most significant in enabling'), and the seeds "
    "give no such figures."
)
WHY_NO_PATTERN = {"H1_will_and_reward": WILL_DRIVEN_WHY, WILL_IS_THE_BARRIER: WILL_DRIVEN_WHY}
"""Where no emergent pattern rejects a variant the evidence rejects, why none can."""


THEORY_NAMES = {
    "H0_null": "The null theory",
    "H1_will_and_reward": "The government's theory",
    WILL_IS_THE_BARRIER: "Will is the barrier",
}
"""How the report names the theories that the evidence rejects outright."""

VERDICTS = {
    "rejected": "rejected: fails emergent pattern(s)",
    "input": "fails input checks only: no emergent pattern rejects it",
    "none": "passes every pattern: nothing in the evidence rejects it",
}


def refit_lines(theories: pd.DataFrame) -> list[str]:
    """The report's first lines: each rival theory at its own best parameters
    (``discrimination.refit``), with the independent evidence that rejects it; a theory fewer than
    two independent pieces reject is said to be so, first."""
    lines: list[str] = []
    for _, r in theories.iloc[1:].iterrows():
        pieces = r["independent"].split()
        verdict = (
            f"rejected by {len(pieces)} independent pieces of evidence ({', '.join(pieces)})"
            if len(pieces) >= 2
            else f"**fewer than two independent pieces of evidence reject it** (only {pieces[0]})"
            if pieces
            else "**no independent piece of evidence rejects it** (fewer than two)"
        )
        shared = r.get("also_rejects_reference", "")
        shared = shared if isinstance(shared, str) else ""
        several = " " in shared
        not_counted = (
            f" ({shared}: the re-fitted reference fails "
            f"{'them' if several else 'it'} too, so {'they do' if several else 'it does'} not "
            "count)."
            if shared
            else "."
        )
        lines.append(
            f"- **{r['theory']}** at its own best parameters (distance {r['best_distance']:.2f}; "
            f"the reference's {theories.iloc[0]['best_distance']:.2f}): {verdict}; patterns "
            f"failed: {r['rejected_by'] or 'none'}{not_counted}"
        )
    reference = theories.iloc[0]
    return lines + [
        "",
        "Each theory was re-fitted: the same worlds drawn from the prior run under it, and its "
        "nearest to the evidence kept (rejection ABC); a pattern rejects it when it fails in most "
        "of them and on their mean (`discrimination.refit`, `theories.csv`). Parts of one "
        "statement, or figures of the same councils, count as one piece of evidence. The "
        f"reference (`{reference['theory']}`), re-fitted the same way, "
        + (
            f"fails {reference['rejected_by']}: a theory those patterns reject is not told apart "
            "from the reference by them."
            if isinstance(reference["rejected_by"], str) and reference["rejected_by"]
            else "fails no pattern."
        ),
        "",
    ]


def write_report(
    out: Path,
    scenario: Scenario,
    table: pd.DataFrame,
    replications: int,
    theories: pd.DataFrame | None = None,
) -> None:
    """discrimination.csv and discrimination.md: headline first (with ``theories``, the rival
    theories re-fitted, first of all), then the variants by verdict."""
    io.write_csv(out / "discrimination.csv", table)
    if theories is not None:
        io.write_csv(out / "theories.csv", theories)
    others = table[table["kind"] != "reference"]
    counts = others["verdict"].value_counts()
    ref = table.iloc[0]
    h1 = table[table["variant"].isin(REJECTED_BY_EVIDENCE)]
    emergent = [p.id for p in PATTERNS if p.emergent]
    lines = [
        f"# Discrimination: which variants of {scenario.name} do the patterns reject?",
        "",
        *(refit_lines(theories) if theories is not None else []),
        f"**{counts.get('rejected', 0)} of {len(others)} variants fail at least one emergent "
        f"pattern; {counts.get('input', 0)} fail input checks only; {counts.get('none', 0)} pass "
        "every pattern, so nothing in the evidence as measured here can reject them.** "
        + (
            "The reference passes every emergent pattern."
            if not ref["emergent_failed"]
            else f"The reference itself fails {ref['emergent_failed']}."
        ),
        "",
    ]
    for _, r in h1.iterrows():
        lines.append(
            f"{THEORY_NAMES.get(r['variant'], 'The theory')}, `{r['variant']}` "
            f"({r['evidence_rejects']}): "
            + (
                f"rejected by {r['emergent_failed']}."
                if r["verdict"] == "rejected"
                else "**no emergent pattern rejects it**"
                + (
                    f" (it fails input checks {r['input_checks_failed']})."
                    if r["verdict"] == "input"
                    else "."
                )
            )
        )
        if r["verdict"] != "rejected" and r["variant"] in WHY_NO_PATTERN:
            lines += ["", WHY_NO_PATTERN[r["variant"]]]
        lines.append("")
    lines += [
        f"Each variant ran {replications} replications on the reference's seeds. Emergent "
        f"patterns (validation): {', '.join(emergent)}. Input checks (reproduced because a "
        f"parameter encodes them): {', '.join(p.id for p in PATTERNS if not p.emergent)}. "
        "Pass rules as in `lpsa validate`.",
        "",
    ]
    for verdict, title in VERDICTS.items():
        sel = others[others["verdict"] == verdict]
        lines += [f"## {title[0].upper()}{title[1:]} ({len(sel)})", ""]
        if sel.empty:
            lines += ["None.", ""]
            continue
        lines += [
            "| variant | emergent failed | input checks failed | what it removes |",
            "|---|---|---|---|",
        ]
        for _, r in sel.iterrows():
            lines.append(
                f"| {r['variant']} | {r['emergent_failed'] or '-'} | "
                f"{r['input_checks_failed'] or '-'} | {r['description'][:140]} |"
            )
        lines.append("")
    stats = table[["variant", *[p.id for p in PATTERNS]]].set_index("variant")
    lines += [
        "## Every statistic",
        "",
        "A star marks a failed pattern.",
        "",
        _marked(stats, table).to_markdown(),
        "",
    ]
    io.write_text(out / "discrimination.md", "\n".join(lines))


def _marked(stats: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    out = stats.map(lambda v: fixed(v, missing="-"))
    for p in PATTERNS:
        failed = ~table[f"{p.id}_pass"].to_numpy()
        out.loc[failed, p.id] = out.loc[failed, p.id] + "*"
    return out
