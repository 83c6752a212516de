"""validation.md, validation.csv, forecast_margins.csv and validation.png: the verdict of
``validate.evaluate`` for people, and the table ``lpsa validate`` prints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lpsa.model import Scenario

from . import io
from .formatting import estimate, fixed
from .patterns import (
    EVIDENCE_RATING_YEARS,
    FORECAST,
    INTERIM_EVALUATION,
    OBSERVATIONS,
    P1,
    PATTERNS,
    ForecastRule,
    describe_rule,
)


def format_table(table: pd.DataFrame) -> str:
    """The verdict as ``lpsa validate`` prints it: one line per pattern."""
    view = pd.DataFrame(
        {
            "pattern": table["pattern"],
            "evidence": table["evidence"].str.slice(0, 60),
            "model (95% CI)": [
                estimate(m, lo, hi)
                for m, lo, hi in zip(table["model"], table["ci_low"], table["ci_high"])
            ],
            "tolerance": table["tolerance"],
            "result": np.where(
                table["role"].isin(["observation", "expectation"]),
                "not judged",
                np.where(table["passed"], "pass", "FAIL"),
            ),
        }
    )
    return view.to_string(index=False)


def write_report(
    out: Path,
    scenario: Scenario,
    table: pd.DataFrame,
    replications: int,
    seed: int,
    rule: ForecastRule = FORECAST,
    margins: pd.DataFrame | None = None,
    power: pd.DataFrame | None = None,
) -> None:
    """validation.md: the verdict on the emergent patterns first (the seeds', then the councils'
    records), then the input checks, what each pattern can tell (``validate.pattern_power``, when
    given), the statements reported but not judged, the interim forecast under other trend
    margins (``forecast_margins``, when given), then a figure of each statistic against its
    tolerance."""
    emergent = table[table["role"] == "emergent"]
    inputs = table[table["role"] == "input check"]
    observed = table[table["role"].isin(["observation", "expectation"])]
    is_record = emergent["pattern"].str.startswith("R-")
    e_failed = emergent.loc[~emergent["passed"], "pattern"].tolist()
    i_failed = inputs.loc[~inputs["passed"], "pattern"].tolist()
    lines = [
        f"# Validation: {scenario.name}",
        "",
        f"**{len(emergent) - len(e_failed)} of {len(emergent)} emergent patterns pass**"
        + (f" (failed: {', '.join(e_failed)})" if e_failed else "")
        + f"; {len(inputs) - len(i_failed)} of {len(inputs)} input checks pass"
        + (f" (failed: {', '.join(i_failed)})" if i_failed else "")
        + ". Only emergent patterns count as validation: an input check is reproduced because a "
        "parameter encodes it, and shows only that the parameter is wired in. Whether the "
        "patterns can reject rival theories: `lpsa validate --discriminate`.",
        "",
        f"{replications} replications, master seed {seed}. Model value = mean over replications "
        "with a 95 % bootstrap interval. Level patterns pass when the mean lies in the band; "
        "direction patterns when the whole interval lies above zero. Tolerances and their reasons "
        "are fixed in `experiments/patterns.py`. P1 and P4 are the interim evaluation's forecast "
        f"(001:127), taken in {INTERIM_EVALUATION[0]} Q{INTERIM_EVALUATION[1]} from each running "
        f"target's last year of reported figures ({describe_rule(rule)}); P7 counts rating "
        f"moves in {' and '.join(map(str, EVIDENCE_RATING_YEARS))}.",
        "",
    ]
    sections = (
        ("Emergent patterns: the seeds (validation)", emergent[~is_record]),
        ("Councils' records (validation; ../shared/RECORDS.md)", emergent[is_record]),
        ("Input checks", inputs),
    )
    for title, group in sections:
        lines += [
            f"## {title}",
            "",
            "| pattern | evidence | source | statistic | model (95% CI) | tolerance | reason | "
            + ("encoded by | " if title == "Input checks" else "")
            + "result |",
            "|---|---|---|---|---|---|---|" + ("---|" if title == "Input checks" else "") + "---|",
        ]
        for _, r in group.iterrows():
            lines.append(
                f"| {r['pattern']} | {r['evidence']} | {r['source']} | {r['statistic']} | "
                f"{estimate(r['model'], r['ci_low'], r['ci_high'])} | {r['tolerance']} | "
                f"{r['reason']} | "
                + (f"{r['encoded_by']} | " if title == "Input checks" else "")
                + f"{'pass' if r['passed'] else '**FAIL**'} |"
            )
        lines.append("")
    if power is not None:
        lines += power_section(power)
    if len(observed):
        lines += [
            "## Reported, not judged: evidence too thin to test, and expectations",
            "",
            "P1d rests on 'slightly', said of a handful of councils. P5 is what the evaluators "
            "expected in 2004-05, when it was 'too soon to say' (000:367): an expectation, not an "
            "observation, so it is neither validation nor fitted.",
            "",
            "| pattern | kind | evidence | source | statistic | model (95% CI) | agrees in "
            "direction |",
            "|---|---|---|---|---|---|---|",
        ]
        for _, r in observed.iterrows():
            lines.append(
                f"| {r['pattern']} | {r['role']} | {r['evidence']} | {r['source']} | "
                f"{r['statistic']} | {estimate(r['model'], r['ci_low'], r['ci_high'])} | "
                f"{'yes' if r['passed'] else 'no'} |"
            )
        lines.append("")
    if margins is not None:
        lines += margins_section(margins, rule)
        io.write_csv(out / "forecast_margins.csv", margins)
    lines += ["![validation](validation.png)", ""]
    io.write_csv(out / "validation.csv", table)
    io.write_text(out / "validation.md", "\n".join(lines))
    validation_figure(out, scenario, table)


def power_section(power: pd.DataFrame) -> list[str]:
    """validation.md's lines on what each pattern can tell: role, whether it can fail across the
    prior, and the rivals it rejects; those that no plausible world fails are named first."""
    never = power.loc[power["can_fail"].eq(False), "pattern"].tolist()
    lines = [
        "## What each pattern can tell",
        "",
        "A pattern that a parameter encodes is an input check. A pattern that passes in every "
        "plausible world (drawn from the prior of `experiments/uncertain_parameters.yaml`) "
        "cannot fail, whatever the model does, and so discriminates nothing"
        + (f": here {', '.join(never)}." if never else "."),
        "",
        "| pattern | evidence | role | prior worlds within tolerance | can fail | rejects |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in power.iterrows():
        share = r["prior_share_within"]
        can = "not measured" if r["can_fail"] is None else ("yes" if r["can_fail"] else "**no**")
        lines.append(
            f"| {r['pattern']} | {r['evidence_kind']} | {r['role']} | "
            f"{'' if np.isnan(share) else f'{share:.0%}'} | {can} | {r['rejects'] or '-'} |"
        )
    return lines + [""]


def margins_section(margins: pd.DataFrame, rule: ForecastRule) -> list[str]:
    """validation.md's lines on the interim forecast under each trend margin."""
    lines = [
        "## The interim forecast under other trend margins",
        "",
        "The evidence gives the councils' own forecast (001:127), not how they made it: the trend "
        "margin of the stated rule (`ForecastRule`) is a measurement choice. The same runs, "
        f"measured at each margin a year-long trend can support (this report's: {rule.margin:g}; "
        "`forecast_margins.csv`):",
        "",
        "| margin | P1a met or almost certain | P1b likely missed | P1c uncertain |",
        "|---|---|---|---|",
    ]
    for _, r in margins.iterrows():
        cells = [f"{fixed(r[p.id])} ({'pass' if r[f'{p.id}_pass'] else '**FAIL**'})" for p in P1]
        lines.append(f"| {r['margin']:g} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def validation_figure(out: Path, scenario: Scenario, table: pd.DataFrame) -> None:
    """Each statistic against its tolerance (written after the tables)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.45 * len(table) + 1.5))
    y = np.arange(len(table))[::-1]
    colours = np.where(table["passed"], "#2a9d8f", "#e76f51")
    ax.errorbar(
        table["model"],
        y,
        xerr=[table["model"] - table["ci_low"], table["ci_high"] - table["model"]],
        fmt="none",
        ecolor="black",
        capsize=3,
    )
    ax.scatter(table["model"], y, c=colours, zorder=3)
    for yi, p in zip(y, PATTERNS + OBSERVATIONS):
        hi = p.high if np.isfinite(p.high) else max(table["ci_high"].max(), p.low) + 0.1
        ax.plot([p.low, hi], [yi, yi], color="grey", alpha=0.3, lw=8, solid_capstyle="butt")
    ax.set_yticks(y, table["pattern"])
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("statistic (grey: tolerance)")
    ax.set_title(f"Validation of {scenario.name} against P1-P8")
    fig.tight_layout()
    io.save_figure(out / "validation.png", fig)
