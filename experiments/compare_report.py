"""``lpsa compare``'s outputs for people: ``comparison.csv`` (one row per outcome), ``worlds.csv``
(one row per world), ``runs.parquet`` (every run), the resolved scenarios, ``comparison.md`` (the
headline and how robust it is, what flips it, every outcome) and ``comparison.png``, from what
``compare`` returns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lpsa.model import REGISTRY, Scenario
from lpsa.model.outcomes import Direction

from . import io
from .compare import (
    ADDED,
    FAIRLY_ROBUST,
    MIN_FLIP_CASES,
    REGIMES,
    ROBUST,
    SHARE_INTERVAL,
    Finding,
    Flips,
    finding,
    headline_outcomes,
    minority_cases,
    readings,
    what_flips,
    wins,
)
from .constants import MOVES, NOISE, SCREEN_REPLICATIONS, moving_constants
from .formatting import (
    labelled,
    percent,
    percent_range,
    scale_of,
    shown,
    significant,
    span,
    unit_words,
)
from .posterior import Posterior
from .uncertainty import Uncertain
from .value_of_information import (
    LEVERS,
    TOP,
    Split,
    best_split,
    conditional_answer,
    rank_unknowns,
)

FEW_WORLDS = 20
"""Below this many worlds, a finding says that its share rests on few worlds."""


LEVEL_FLOOR = 0.05
"""The figure's axis spans at least +-5 % of the larger median level of the outcome."""


COLORS = {"A": "#d95f02", "B": "#1b9e77", "tie": "#555555"}


def finding_sentence(f: Finding, names: tuple[str, str], label: str | None = None) -> str:
    """The finding in plain words, e.g. 'ppg_heavy does better than reward_heavy on gain kept 3
    years on in 41 of 50 worlds (82 %, 95 % interval 70-91 %): borderline: depends on the world
    or fairly robust.' (the registry's label unless ``label`` is given)."""
    spec = REGISTRY[f.outcome]
    label = label or spec.label
    of = f"of {f.defined} worlds" + (
        f" (of {f.worlds}, where it is defined)" if f.defined < f.worlds else ""
    )
    if f.defined == 0:
        return f"{label}: undefined in every world."
    if f.ties == f.defined:
        return f"{names[0]} and {names[1]} give the same {label} in every world."
    if f.majority is None:
        verb = "do better" if spec.direction != "neither" else "are higher"
        return (
            f"On {label}, {names[0]} and {names[1]} {verb} in as many worlds "
            f"({f.a_wins} {of} each): depends on the world."
        )
    win, lose = (names[0], names[1]) if f.majority == "A" else (names[1], names[0])
    count = max(f.a_wins, f.b_wins)
    if spec.direction == "neither":
        claim = f"{win} gives a higher {label} than {lose}"
    else:
        claim = f"{win} does better than {lose} on {label}"
    few = f" (only {f.defined} worlds: draw more with --worlds)" if f.defined < FEW_WORLDS else ""
    interval = f"{percent(SHARE_INTERVAL)} interval {percent_range(*f.interval)}"
    return f"{claim} in {count} {of} ({percent(f.share)}, {interval}): {f.category}{few}."


def winner_name(side: str, names: tuple[str, str]) -> str:
    """The regime's name for "A" or "B"."""
    return names[0] if side == "A" else names[1]


def parameter_words(path: str) -> str:
    """A parameter's schema description in words, without unit, source or path."""
    from lpsa.model.scenario import Scenario as Schema

    section, _, leaf = path.partition(".")
    info = Schema.model_fields.get(section)
    fields = getattr(info.annotation, "model_fields", {}) if info is not None else {}
    text = (fields[leaf].description or "") if leaf in fields else ""
    text = text.split("[")[0].split("; assumption")[0].split(" (0")[0].split(": ")[0]
    if text.count("(") > text.count(")"):  # the cut left a parenthesis open: drop it
        text = text[: text.rindex("(")]
    return text.strip().rstrip(";,:") or path


def the_parameter(path: str) -> str:
    """``parameter_words`` as the subject of 'is above about': 'the will to improve', or 'the
    measure of how far ...' where the description is a question ('how far ...')."""
    words = parameter_words(path)
    question = words.split(" ", 1)[0] in ("how", "whether", "what", "which")
    return f"the measure of {words}" if question else f"the {words}"


def split_sentence(split: Split, outcome: str, names: tuple[str, str]) -> str:
    """A split in plain words: 'If the mean share ... (`path`) is above about 0.55, A does better
    on X (38 of 40 worlds); below it, B (9 of 10).' With a lever that sets the parameter, says
    so."""
    spec = REGISTRY[outcome]
    verb = "gives the higher" if spec.direction == "neither" else "does better on"
    above, below = winner_name(split.above, names), winner_name(split.below, names)
    text = (
        f"If {the_parameter(split.parameter)} (`{split.parameter}`) is above about "
        f"{significant(split.threshold, 2)}, {above} {verb} {spec.label} ({split.above_wins} of "
        f"{split.above_worlds} worlds); "
    )
    if split.conditional:
        text += f"below it, {below} ({split.below_wins} of {split.below_worlds})."
    else:
        text += f"below it too ({split.below_wins} of {split.below_worlds})."
    if split.parameter in LEVERS and split.conditional:
        lever, how = LEVERS[split.parameter]
        text += f" This is a lever as much as an unknown: {how} (`{lever}`)."
    return text


def conditional_sentence(split: Split, outcome: str, names: tuple[str, str]) -> str:
    """The conditional answer in one line: 'Conditional answer (amount left): A if ...;
    otherwise B.'"""
    above, below = winner_name(split.above, names), winner_name(split.below, names)
    text = (
        f"{above} if {the_parameter(split.parameter)} is above about "
        f"{significant(split.threshold, 2)} ({split.above_wins} of {split.above_worlds} worlds); "
        f"otherwise {below} ({split.below_wins} of {split.below_worlds})"
    )
    if split.parameter in LEVERS:
        lever, how = LEVERS[split.parameter]
        text += f"; {how} (`{lever}`)"
    return f"Conditional answer on {REGISTRY[outcome].label}: {text}."


def reconciliation(
    findings: dict[str, Finding], pairs: list[tuple[str, str]], names: tuple[str, str]
) -> str:
    """One or two sentences that reconcile the share kept with the amount left (and say what
    the regime that adds more does), from the findings of the ``pairs`` (the readings shown)."""
    shown_ = dict(pairs)
    by = {name: findings[o] for name, o in shown_.items() if o in findings}
    kept, left = by.get("Share kept"), by.get("Amount left")
    if kept is None or left is None:
        return (
            "The amount of added improvement left needs the no-agreement twins (drop "
            "--no-twins); the share kept alone does not say which regime leaves more behind."
        )
    if kept.majority is None or left.majority is None:
        return (
            "The worlds split evenly on one reading, so neither the share kept nor the amount "
            "left names a regime that sustains more."
        )
    if kept.majority == left.majority:
        win = winner_name(kept.majority, names)
        return (
            f"Both readings name {win} in most worlds: it keeps the larger share of its gain and "
            "leaves more added improvement behind."
        )
    more, kept_more = winner_name(left.majority, names), winner_name(kept.majority, names)
    added = findings.get(ADDED)
    adds = ""
    if added is not None and added.majority == left.majority:
        adds = f" ({added.count} of {added.defined} worlds)"
    return (
        f"The readings differ because {more} adds more improvement by the end{adds} and keeps a "
        f"smaller share of it; {kept_more} keeps the larger share of a smaller gain. The amount "
        "left answers 'does it sustain more?': the share kept says how durable each regime's own "
        "gain is."
    )


def reading_label(name: str, outcome: str) -> str:
    """The outcome's label after its reading's name: without a prefix that repeats it ('value for
    money: added gain kept per £m' after 'Value for money' is 'added gain kept per £m')."""
    label = REGISTRY[outcome].label
    prefix = f"{name.lower()}: "
    return label[len(prefix) :] if label.lower().startswith(prefix) else label


def opening_lines(
    findings: dict[str, Finding],
    table: pd.DataFrame,
    main: str,
    names: tuple[str, str],
    answers: dict[str, Split | None],
) -> list[str]:
    """The report's and the terminal's first lines: the readings ('Share kept: ...', 'Amount
    left: ...', 'Value for money: ...'), the main outcome if it is not one of them, the
    reconciliation and the first conditional answer among them, if any."""
    pairs = readings(table)
    if main not in {o for _, o in pairs} and main in findings:
        pairs.append(("Main outcome", main))
    lines = [
        f"{name}: {finding_sentence(findings[o], names, reading_label(name, o))}"
        for name, o in pairs
    ]
    lines.append(reconciliation(findings, pairs, names))
    for _, o in pairs:
        split = answers.get(o)
        if split is not None and findings[o].category != "robust":
            lines.append(conditional_sentence(split, o, names))
            break
    return lines


def voi_lines(
    ranked: dict[str, pd.DataFrame],
    per_world: pd.DataFrame,
    findings: dict[str, Finding],
    names: tuple[str, str],
) -> list[str]:
    """comparison.md's "What would settle it": per headline outcome, the unknowns whose value
    would most change the choice (EVPPI above its chance level), in a table and in plain
    sentences (``value_of_information``)."""
    lines = [
        "## What would settle it",
        "",
        "For each headline outcome, the unknowns (the posterior's uncertain parameters) ranked by "
        "how much knowing them would improve the choice between the regimes: the expected value "
        "of partial perfect information (EVPPI), in the outcome's units, estimated by binning the "
        "worlds by the parameter, against its *chance level* (the 95th percentile of the same "
        "estimate with the parameter shuffled across worlds); *variance explained* is the share "
        "of the "
        f"across-worlds variance of {names[0]} - {names[1]} that the parameter's bins explain. "
        "An unknown whose EVPPI is not above chance would not change the choice "
        "(`value_of_information.csv`).",
        "",
    ]
    for o, table in ranked.items():
        spec, f = REGISTRY[o], findings[o]
        lines += [f"**{spec.label}**", ""]
        top = table[table["matters"]].head(TOP)
        if top.empty:
            win = winner_name(f.majority, names) if f.majority else "neither regime"
            excess = table["variance_share"] - table["variance_chance"]
            drivers = table.loc[excess.sort_values(ascending=False).index].head(TOP)
            drivers = drivers[drivers["variance_share"] > drivers["variance_chance"]]
            lines += [
                f"No single unknown would change the choice: {win} does better in "
                f"{f.count} of {f.defined} worlds, and knowing any one parameter would not "
                "improve on choosing it everywhere (every EVPPI at or below its chance level)."
            ]
            if not drivers.empty:
                what = "; ".join(
                    f"{parameter_words(r.parameter)} (`{r.parameter}`, "
                    f"{percent(r.variance_share)}, by chance {percent(r.variance_chance)})"
                    for r in drivers.itertuples()
                )
                lines[-1] += f" What moves the size of the difference most: {what}."
            lines.append("")
            continue
        lines += [
            "| unknown | EVPPI | by chance | variance explained | by chance |",
            "|---|---|---|---|---|",
        ]
        scale, unit = scale_of(spec.unit)
        unit = unit if spec.unit in ("share", "GBP") else unit_words(spec)
        for r in top.itertuples():
            value, chance = (
                f"{significant(v * scale, 2)} {unit}" for v in (r.evppi, r.evppi_chance)
            )
            lines.append(
                f"| `{r.parameter}` | {value} | {chance} | {percent(r.variance_share)} | "
                f"{percent(r.variance_chance)} |"
            )
        lines.append("")
        d = per_world[f"{o}_difference"]
        for r in top.itertuples():
            split = best_split(per_world[r.parameter], d, o, r.parameter)
            if split is not None:
                lines.append(f"- {split_sentence(split, o, names)}")
        lines.append("")
    return lines


def parameter_label(path: str) -> str:
    """A parameter in people's words: its schema description (without unit) and its path."""
    from lpsa.model.scenario import Scenario as Schema

    section, _, leaf = path.partition(".")
    info = Schema.model_fields.get(section)
    fields = getattr(info.annotation, "model_fields", {}) if info is not None else {}
    text = (fields[leaf].description or "") if leaf in fields else ""
    text = text.split("[")[0].split("; assumption")[0].strip().rstrip(";,")
    return f"{text} (`{path}`)" if text else f"`{path}`"


def restriction(name: str, row: pd.Series) -> str:
    """One PRIM restriction in words: 'X below 0.41 (the worlds span 0.25 to 0.8)'."""
    lo, hi, r0, r1 = row["min"], row["max"], row["range_min"], row["range_max"]
    if lo > r0 and hi < r1:
        where = f"from {span(lo, hi)}"
    elif lo > r0:
        where = f"at least {significant(lo)}"
    else:
        where = f"at most {significant(hi)}"
    return f"{parameter_label(name)} {where} (the worlds span {span(r0, r1)})"


def correlation_lines(
    flips: Flips, names: tuple[str, str], direction: Direction = "neither", top: int = 3
) -> list[str]:
    """The ``top`` parameters most correlated with the difference, and which regime they favour
    (by the outcome's ``direction``)."""
    corr = flips.correlations.head(top)
    if corr.empty:
        return ["No parameter is correlated with the difference (it does not vary)."]
    lines = [
        f"The parameters most correlated (Spearman) with the difference {names[0]} - {names[1]}:",
        "",
    ]
    for r in corr.itertuples():
        larger = r.rho > 0
        if direction == "neither":
            effect = f"the difference is {'larger' if larger else 'smaller'}"
        else:
            a_gains = larger == (direction == "higher is better")
            win, lose = names if a_gains else names[::-1]
            effect = f"{win} fares better against {lose}"
        lines.append(
            f"- {parameter_label(r.parameter)}: where it is higher, {effect} (rho {r.rho:+.2f})."
        )
    return lines


def flips_lines(flips: Flips, f: Finding, names: tuple[str, str]) -> list[str]:
    """The "what flips it" section in people's words."""
    minority = names[0] if f.majority == "B" else names[1]
    label, direction = REGISTRY[f.outcome].label, REGISTRY[f.outcome].direction
    head = f"{minority} does better on {label} in {flips.cases} of {flips.worlds} worlds."
    if REGISTRY[f.outcome].direction == "neither":
        head = f"{minority} gives the higher {label} in {flips.cases} of {flips.worlds} worlds."
    if flips.kind == "none":
        return [
            f"Nothing flips it: in none of the {flips.worlds} worlds does {minority} come out "
            "ahead.",
            "",
            *correlation_lines(flips, names, direction),
        ]
    if flips.kind == "no variation":
        return [head, "", "The worlds do not differ in any parameter, so nothing can explain it."]
    if flips.kind == "too few":
        return [
            f"{head} PRIM has too few cases to find where (it needs at least {MIN_FLIP_CASES}).",
            "",
            *correlation_lines(flips, names, direction),
        ]
    if flips.kind == "no box":
        return [
            f"{head} PRIM found no region of the parameters that holds them.",
            "",
            *correlation_lines(flips, names, direction),
        ]
    assert flips.limits is not None
    looked = ", ".join(f"`{p}`" for p in flips.inputs)
    lines = [
        f"{head} Scenario discovery (PRIM) finds them mostly in worlds where:",
        "",
        *[f"- {restriction(p, row)}" for p, row in flips.limits.iterrows()],
        "",
        f"This box holds {percent(flips.coverage)} of the worlds where {minority} does better "
        f"(coverage); in the box, {minority} does better in {percent(flips.density)} of the "
        f"worlds (density); it holds {percent(flips.mass)} of all worlds. PRIM looked at the "
        f"{len(flips.inputs)} parameters most associated with those worlds: {looked}.",
        "",
        *correlation_lines(flips, names, direction),
    ]
    return lines


def markdown_table(table: pd.DataFrame, names: tuple[str, str]) -> list[str]:
    """The table of every outcome in people's units, one row per outcome."""
    lines = [
        f"| outcome | {names[0]} | {names[1]} | difference (median) | 5-95 % across worlds "
        f"| {names[0]} better in | replication noise (+-, 90 %) | worlds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        spec = REGISTRY[r.outcome]
        a, b = shown(spec, [r.median_a, r.median_b])
        med, lo, hi, noise = shown(
            spec, [r.median_difference, r.low, r.high, r.replication_half_width], True
        )
        better = "-" if not np.isfinite(r.share_a_better) else percent(r.share_a_better)
        label = labelled(f"**{spec.label}**" if spec.headline else spec.label, unit_words(spec))
        lines.append(
            f"| {label} | {a} | {b} | {med} | {lo} to {hi} | {better} | {noise.lstrip('+')} "
            f"| {r.worlds_defined} |"
        )
    return lines


def axis_half_range(values: Sequence[float], level: float) -> float:
    """Half the symmetric y range around zero: covers every value and at least ``LEVEL_FLOOR`` of
    ``level`` (the outcome's larger median), so that a small difference looks small."""
    finite = [abs(float(v)) for v in values if np.isfinite(v)]
    half = max([*finite, LEVEL_FLOOR * abs(level) if np.isfinite(level) else 0.0])
    return 1.1 * half if half > 0 else 1.0


def comparison_figure(
    per_world: pd.DataFrame, table: pd.DataFrame, outcomes: Sequence[str], names: tuple[str, str]
) -> Any:
    """Per outcome: each world's mean difference A - B as a dot (worlds sorted), its 90 %
    replication interval as a thin bar, the 5-95 % range across worlds as a band, the median
    across worlds and zero as lines; the axis symmetric around zero."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ncols = min(3, max(1, len(outcomes)))
    nrows = max(1, -(-len(outcomes) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows), squeeze=False)
    for ax in axes.ravel()[len(outcomes) :]:
        ax.set_visible(False)
    rows = table.set_index("outcome")
    for ax, o in zip(axes.ravel(), outcomes):
        spec, row = REGISTRY[o], rows.loc[o]
        scale, unit = scale_of(spec.unit)
        frame = per_world[[f"{o}_difference", f"{o}_half_width"]].dropna(subset=[f"{o}_difference"])
        frame = frame.sort_values(f"{o}_difference", kind="stable")
        d = frame[f"{o}_difference"].to_numpy() * scale
        hw = np.nan_to_num(frame[f"{o}_half_width"].to_numpy() * scale)
        x = np.arange(1, len(d) + 1)
        low, high, med = (row[k] * scale for k in ("low", "high", "median_difference"))
        ax.axhspan(low, high, color="#9ecae1", alpha=0.45, lw=0)
        ax.axhline(0, color="black", lw=1)
        ax.axhline(med, color="#08519c", lw=1.2, ls="--")
        ax.errorbar(x, d, yerr=hw, fmt="none", ecolor="#777777", elinewidth=0.8, capsize=0)
        a_wins, b_wins = wins(d, spec.direction)
        if spec.direction == "neither":
            a_wins, b_wins = np.zeros(len(d), bool), np.zeros(len(d), bool)
        colors = np.where(a_wins, COLORS["A"], np.where(b_wins, COLORS["B"], COLORS["tie"]))
        ax.scatter(x, d, s=10, c=colors, zorder=3)
        level = max(abs(row["median_a"]), abs(row["median_b"])) * scale
        lim = axis_half_range([*(d + hw), *(d - hw), low, high], level)
        ax.set_ylim(-lim, lim)
        ax.set_xlim(0, len(d) + 1)
        ax.set_title(spec.label, fontsize=9)
        ax.set_ylabel(f"{names[0]} - {names[1]} ({unit})", fontsize=8)
        ax.set_xlabel("worlds, sorted by the difference", fontsize=8)
        if spec.direction != "neither":
            up = names[0] if spec.direction == "higher is better" else names[1]
            down = names[1] if up == names[0] else names[0]
            for y, text, va in ((1.0, f"{up} better", "top"), (0.0, f"{down} better", "bottom")):
                ax.text(1.02, y, text, transform=ax.transAxes, va=va, rotation=90, fontsize=7)
        ax.tick_params(labelsize=7)
    dot = {"marker": "o", "ls": "none", "ms": 5}
    handles = [
        Line2D([], [], color=COLORS["A"], label=f"one world, {names[0]} better", **dot),
        Line2D([], [], color=COLORS["B"], label=f"one world, {names[1]} better", **dot),
        Line2D([], [], color=COLORS["tie"], label="one world, no better side or a tie", **dot),
        Line2D([], [], color="#777777", lw=0.8, label="90 % interval over replications in a world"),
        Patch(color="#9ecae1", alpha=0.45, label="5-95 % range across worlds"),
        Line2D([], [], color="#08519c", ls="--", lw=1.2, label="median across worlds"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(f"{names[0]} - {names[1]} in each plausible world", fontsize=11)
    fig.tight_layout(rect=(0, 0.16 if nrows == 1 else 0.09, 1, 0.96))
    return fig


def fitted_with(posterior: Posterior) -> str:
    """How the posterior's interim forecast (P1) was measured, as its metadata records it: the
    headline can move with that choice (docs/compare.md, "How sure: the forecast rule")."""
    rule = posterior.meta.get("forecast_rule")
    if not rule:
        return ", its forecast rule not recorded"
    return (
        f", fitted with the interim forecast's trend margin {rule['margin']:g} and 'almost met' "
        f"from {rule['almost_met']:g} of the stretch"
    )


def noise_sentence(per_world: pd.DataFrame, table: pd.DataFrame, outcome: str) -> str:
    """The headline outcome's spread across worlds against the replication noise within one."""
    spec = REGISTRY[outcome]
    row = table.set_index("outcome").loc[outcome]
    med, lo, hi, noise = shown(
        spec, [row.median_difference, row.low, row.high, row.replication_half_width], True
    )
    d, hw = per_world[f"{outcome}_difference"], per_world[f"{outcome}_half_width"]
    crossing = int(((d - hw <= 0) & (d + hw >= 0) & (d != 0)).sum())
    within = (
        f"within a world the 90 % replication interval is +-{noise.lstrip('+')} (median)"
        if np.isfinite(row.replication_half_width)
        else "the replication noise within a world needs at least two replications"
    )
    text = f"Median difference {med} (5-95 % across worlds: {lo} to {hi}); {within}."
    if crossing:
        text += (
            f" In {crossing} {'world' if crossing == 1 else 'worlds'} that interval crosses "
            "zero: more replications could move "
            + ("that world" if crossing == 1 else "those worlds")
            + " to the other side."
        )
    return text


def write_report(
    out: Path,
    table: pd.DataFrame,
    per_world: pd.DataFrame,
    params: list[str],
    main: str,
    names: tuple[str, str],
    about: dict[str, Any],
    constants: pd.DataFrame | None = None,
    seed: int = 0,
) -> tuple[list[str], Path]:
    """comparison.md, value_of_information.csv, then comparison.png (and constants.csv, given the
    screen of fixed constants, ``constants.screen_constants``); returns the opening lines (the
    readings, their reconciliation and any conditional answer) and the report path. ``seed``
    seeds the chance levels of the value of information."""
    heads = headline_outcomes(table, main)
    opened = [o for _, o in readings(table)]
    keys = list(
        dict.fromkeys([*heads, *opened, *([ADDED] if ADDED in set(table["outcome"]) else [])])
    )
    findings = {o: finding(per_world[f"{o}_difference"], o) for o in keys}
    ranked = {
        o: rank_unknowns(per_world[params], per_world[f"{o}_difference"], o, seed)
        for o in heads
        if REGISTRY[o].direction != "neither"
    }
    answers = {
        o: conditional_answer(per_world[params], per_world[f"{o}_difference"], o, ranked[o])
        for o in ranked
    }
    plural = "s" if len(per_world) != 1 else ""
    lines = [f"# {names[0]} vs {names[1]} on {len(per_world)} plausible world{plural}", ""]
    headline = ["No outcome could be compared."]
    if heads:
        headline = opening_lines(findings, table, main, names, answers)
        lines += [f"- {line}" for line in headline]
        lines += ["", noise_sentence(per_world, table, heads[0]), ""]
        others = [f"- {finding_sentence(findings[o], names)}" for o in heads if o not in opened]
        if others:
            lines += ["Other headline outcomes:", "", *others, ""]
        lines += [
            f"Robustness: the share of worlds in which the regime that wins in most worlds "
            f"does better (ties count against it), with a {percent(SHARE_INTERVAL)} Jeffreys "
            "interval on that share (the worlds are a sample of the posterior). A word is given "
            f"only when the whole interval is on one side of its cut-off: {percent(ROBUST)} or "
            f"more *robust*, {percent(FAIRLY_ROBUST)} to {percent(ROBUST)} *fairly robust*, "
            "below it *depends on the world*; an interval across a cut-off is *borderline* "
            "between the two words.",
            "",
            f"## What flips it ({REGISTRY[heads[0]].label})",
            "",
        ]
        f = findings[heads[0]]
        diff = per_world[f"{heads[0]}_difference"]
        flips = what_flips(per_world[params], diff, minority_cases(diff, heads[0]))
        lines += [*flips_lines(flips, f, names), ""]
        lines += voi_lines(ranked, per_world, findings, names)
        voi = [t.assign(outcome=o) for o, t in ranked.items() if not t.empty]
        if voi:
            io.write_csv(out / "value_of_information.csv", pd.concat(voi, ignore_index=True))
    if constants is not None:
        lines += constants_lines(constants, heads, names)
        io.write_csv(out / "constants.csv", constants)
    lines += [
        "## All outcomes",
        "",
        f"Medians across worlds of each world's mean over {about['replications']} replications; "
        f"the difference is {names[0]} - {names[1]}, paired by replication (common random "
        "numbers). Bold: headline outcomes. Replication noise: the median over worlds of the "
        "half-width of the 90 % interval of a world's mean difference; compare it with the "
        "spread across worlds.",
        "",
        *markdown_table(table, names),
        "",
        "![each world's difference](comparison.png)",
        "",
        "In the figure, each dot is one world's mean difference; its thin bar is the 90 % "
        "interval over replications in that world; the shaded band is the 5-95 % range across "
        "worlds. The axis is symmetric around zero.",
        "",
        "## How this was made",
        "",
        *[f"- {k}: {v}" for k, v in about.items()],
        "",
    ]
    path = out / "comparison.md"
    io.write_text(path, "\n".join(lines))
    if heads:
        io.save_figure(out / "comparison.png", comparison_figure(per_world, table, heads, names))
    return headline, path


def constants_lines(constants: pd.DataFrame, heads: list[str], names: tuple[str, str]) -> list[str]:
    """comparison.md's section on fixed constants that move the headline (``constants.py``)."""
    lines = [
        "## Fixed constants that move the headline",
        "",
        "The worlds vary the uncertain parameters of `experiments/uncertain_parameters.yaml` "
        "(the posterior's, and any it does not cover drawn from their prior). Every other "
        "behavioural assumption was run at half and one and a half times its value in the "
        "posterior's central world; "
        f"a constant *moves* a headline when it flips the sign "
        f"of {names[0]} - {names[1]} or moves it by more than {percent(MOVES)} of its size, "
        f"and the shift is beyond the {percent(NOISE)} interval of its replications' noise "
        f"({SCREEN_REPLICATIONS} replications on common random numbers; `constants.csv`).",
        "",
    ]
    for o in heads:
        if f"moves_{o}" not in constants:
            continue
        moving = moving_constants(constants, o)
        what = ", ".join(f"`{p}`" for p in moving) if moving else "none"
        lines.append(f"- {REGISTRY[o].label}: {what}")
    return lines + [""]


def write_tables(
    out: Path,
    table: pd.DataFrame,
    per_world: pd.DataFrame,
    runs: pd.DataFrame,
    a: Scenario,
    b: Scenario,
) -> None:
    """comparison.csv, worlds.csv, runs.parquet and each regime's resolved scenario."""
    io.write_csv(out / "comparison.csv", table)
    io.write_csv(out / "worlds.csv", per_world)
    io.write_parquet(out / "runs.parquet", runs)
    for key, sc in zip(REGIMES, (a, b)):
        io.write_scenario(out / f"scenario-{key}-{sc.name}.yaml", sc)


def how_it_was_made(
    a: Scenario,
    b: Scenario,
    posterior: Posterior,
    worlds: int,
    replications: int,
    seed: int,
    runs: int,
    twins: bool,
    unfitted: Sequence[Uncertain] = (),
) -> dict[str, Any]:
    """The report's "How this was made": the regimes, the worlds and the posterior they come
    from (with ``unfitted``, the uncertain parameters drawn from their prior), the runs (``runs``
    of them) and the files."""
    return {
        "A": f"`{a.name}` ({a.description or 'no description'})",
        "B": f"`{b.name}` ({b.description or 'no description'})",
        "worlds": f"{worlds} drawn with replacement, by weight, from the posterior "
        f"`{posterior.path}` ({len(posterior.particles)} particles, effective size "
        f"{posterior.effective_size:.0f}, made for base scenario `{posterior.base}`"
        f"{fitted_with(posterior)}), seed {seed}",
        "world parameters": ", ".join(f"`{p}`" for p in posterior.parameters)
        + (
            "; drawn in each world from their prior, uniform over their documented range, as the "
            "posterior does not cover them (added to `experiments/uncertain_parameters.yaml` "
            "after it was fitted): " + ", ".join(f"`{p.path}`" for p in unfitted)
            if unfitted
            else ""
        ),
        "replications": replications,
        "runs": f"{runs} ({len(REGIMES)} regimes x {worlds} worlds x "
        f"{replications} replications{', each with its no-agreement twin' if twins else ''}"
        f"); replication r of every world and regime runs on the same seed",
        "seed": seed,
        "files": "comparison.csv (one row per outcome), worlds.csv (one row per world), "
        "runs.parquet (every run), comparison.png, manifest.json",
    }
