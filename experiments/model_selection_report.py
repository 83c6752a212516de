"""model_selection.md and its tables: which theory of change the evidence favours, each theory at
its best (``model_selection.select``), for people. The first line of the report, and of
``lpsa toc``'s output, is ``verdict``: one sentence a researcher can quote."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from . import io
from .formatting import significant
from .model_selection import (
    SEPARATING_D,
    SEPARATING_SHARE,
    UNSEPARATED,
    Selection,
    SelectionSettings,
    prediction_label,
)

THEORY_WORDS = {
    "reference": ("the reference theory", "every mechanism as the evaluation found it"),
    "H0": ("the null H0", "the agreement changes nothing"),
    "H1": ("government's theory H1", "will is the barrier and reward buys it"),
    "H2": ("the evaluation's theory H2", "the barrier is capacity; reward buys no will"),
    "H3": ("the model without H3", "systemic change does not last of itself"),
    "H4": ("the model without H4", "raised expectations do not slow the fall"),
}
"""A theory's name and gloss by its hypothesis code in the experiment file; any other is named by
its variant."""


STRONG = 20.0
"""A Bayes factor from which the verdict names a theory as weighed against (Kass and Raftery's
'strong')."""


def words(selection: Selection, name: str) -> str:
    """A theory's words (``THEORY_WORDS``), its variant name in backticks."""
    theory = next(t for t in selection.theories if t.name == name)
    said = THEORY_WORDS.get(theory.hypothesis)
    return f"{said[0]} (`{name}`: {said[1]})" if said else f"`{name}`"


def short(selection: Selection, name: str) -> str:
    """A theory's name without its gloss: 'the null H0 (`H0_null`)'."""
    theory = next(t for t in selection.theories if t.name == name)
    said = THEORY_WORDS.get(theory.hypothesis)
    return f"{said[0]} (`{name}`)" if said else f"`{name}`"


def listed(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def probability(p: float) -> str:
    """A posterior probability: two decimals, or an inequality near 0 or 1."""
    if p < 0.005:
        return "< 0.01" if p > 0 else "0"
    if p > 0.995:
        return "> 0.99"
    return f"{p:.2f}"


def bayes_text(bf: float, lower_bound: bool) -> str:
    """A Bayes factor in few digits; 'at least' when it is a lower bound."""
    if not np.isfinite(bf):
        return "undefined"
    text = significant(bf) if bf < 1000 else f"{bf:,.0f}"
    return f"at least {text}" if lower_bound else text


def ranked(selection: Selection) -> list[str]:
    """Theory names, most probable first (ties in the experiment's order)."""
    return list(selection.probabilities.sort_values(ascending=False, kind="stable").index)


def pair(selection: Selection, a: str, b: str) -> pd.Series:
    """The row of ``selection.pairs`` for theories ``a`` (favoured) and ``b``."""
    rows = selection.pairs
    return rows[(rows["favoured"] == a) & (rows["other"] == b)].iloc[0]


def verdict(selection: Selection) -> str:
    """One sentence: the theory the evidence favours with its probability and its Bayes factor
    over the next; or, when the Bayes factor of the most probable over others is below
    ``UNSEPARATED``, that the evidence cannot separate them; and the other theories it weighs
    against, with the strength of that evidence below ``STRONG`` (positive), strongly from
    ``STRONG`` on, and the evidence that separates them."""
    order = ranked(selection)
    top, second = order[0], order[1]
    p = selection.probabilities
    first = pair(selection, top, second)
    tied = [top] + [
        n
        for n in order[1:]
        if not pair(selection, top, n)["separated"] and not pair(selection, top, n)["lower_bound"]
    ]
    n = len(order)
    head = f"Of {n} theories of change given equal prior weight, each at its own best parameters, "
    if len(tied) == 1:
        factor = bayes_text(first["bayes_factor"], first["lower_bound"])
        head += (
            f"the evidence favours {words(selection, top)} (posterior probability "
            f"{probability(p[top])}; Bayes factor {factor} over the next, "
            f"{words(selection, second)}: {first['strength']})"
        )
    elif len(tied) == 2:
        head += (
            f"the evidence cannot separate {words(selection, top)} (posterior probability "
            f"{probability(p[top])}) from {words(selection, second)} "
            f"({probability(p[second])}; Bayes factor {bayes_text(first['bayes_factor'], False)}, "
            f"{first['strength']})"
        )
    else:
        worst = pair(selection, top, tied[-1])
        head += (
            f"the evidence cannot separate {len(tied)} of them, "
            f"{listed([short(selection, t) for t in tied])} (posterior probabilities "
            f"{probability(p[tied[-1]])} to {probability(p[top])}; Bayes factors at most "
            f"{bayes_text(worst['bayes_factor'], False)}, {worst['strength']})"
        )
    named = set(tied) | ({second} if len(tied) == 1 else set())  # already in the sentence
    against, strongly = [], []
    for m in order[1:]:
        r = pair(selection, top, m)
        if m in named or not (r["separated"] or r["lower_bound"]):
            continue
        strong = r["bayes_factor"] >= STRONG
        on = f" on {listed(r['independent'].split())}" if r["independent"] else ""
        kind = "" if strong else f", {r['strength']}"
        (strongly if strong else against).append(
            f"{words(selection, m)} (Bayes factor "
            f"{bayes_text(r['bayes_factor'], r['lower_bound'])}{kind}{on})"
        )
    clauses = [f"weighs against {listed(against)}"] if against else []
    clauses += [f"weighs strongly against {listed(strongly)}"] if strongly else []
    if clauses:
        head += ", and " + " and ".join(clauses)
    return head + "."


def unseparated_lines(selection: Selection, with_favoured: bool = False) -> list[str]:
    """A sentence per pair of theories the evidence does not reject but cannot separate: so,
    and which observation would separate them (or that none the model records would); with
    ``with_favoured``, only the pairs with the favoured theory."""
    out = []
    top = ranked(selection)[0]
    for _, r in selection.pairs.iterrows():
        if r["separated"] or r["neither"] or (with_favoured and r["favoured"] != top):
            continue
        a, b = r["favoured"], r["other"]
        if r["lower_bound"]:
            out.append(
                f"`{b}` kept no particle, so its Bayes factor against `{a}` is at least "
                f"{bayes_text(r['bayes_factor'], False)}, too little to say: a larger "
                "--population would separate them or not."
            )
            continue
        line = (
            f"The evidence cannot separate `{a}` from `{b}` (Bayes factor "
            f"{bayes_text(r['bayes_factor'], False)}). "
        )
        if r["observation"]:
            k = r["observation"]
            s = selection.support
            line += (
                f"An observation of {prediction_label(k)} would: `{a}`'s best worlds put it at "
                f"{significant(s.loc[a, k])}, `{b}`'s at {significant(s.loc[b, k])} "
                f"({r['observation_d']:.1f} pooled standard deviations apart)."
            )
        else:
            line += (
                "No statistic the model records tells their best worlds apart by "
                f"{SEPARATING_D:g} standard deviation: they predict the same."
            )
        out.append(line)
    return out


def table_rows(selection: Selection) -> list[list[str]]:
    """Per theory, most probable first: name, hypothesis, probability with its Monte Carlo
    error, Bayes factor of the favoured theory over it and its word, distance of its best worlds
    and the patterns that separate it from the favoured theory."""
    order = ranked(selection)
    top = order[0]
    rows = []
    for name in order:
        theory = next(t for t in selection.theories if t.name == name)
        p = float(selection.probabilities[name])
        se = np.sqrt(p * (1 - p) / max(selection.effective_size, 1.0))
        s = selection.support.loc[name]
        if name == top:
            bf, word, pats = "1", "", ""
        else:
            r = pair(selection, top, name)
            bf = bayes_text(r["bayes_factor"], r["lower_bound"])
            word = r["strength"]
            pats = r["patterns"] or "none"
        rows.append(
            [
                name,
                theory.hypothesis,
                f"{probability(p)} ± {se:.2f}",
                bf,
                word,
                significant(s["distance"]) if np.isfinite(s["distance"]) else "none accepted",
                pats,
            ]
        )
    return rows


HEADER = [
    "theory",
    "hypothesis",
    "probability ± MC error",
    "Bayes factor (favoured / it)",
    "strength",
    "distance of best worlds",
    "patterns that separate it from the favoured",
]


def at_generation(selection: Selection, name: str) -> str:
    """A theory's column heading: its name, with the generation of its best worlds when that is
    not the last (a theory that lost every particle earlier)."""
    g = selection.support.loc[name, "generation"]
    last = len(selection.generations) - 1
    if not np.isfinite(g):
        return f"{name} (none)"
    return name if int(g) == last else f"{name} (generation {int(g)})"


def terminal_text(selection: Selection) -> str:
    """What ``lpsa toc`` prints: the verdict, the table, the pairs it cannot separate."""
    from tabulate import tabulate

    lines = [verdict(selection), ""]
    lines.append(tabulate(table_rows(selection), headers=HEADER, disable_numparse=True))
    extra = unseparated_lines(selection)
    if extra:
        lines += ["", *extra]
    return "\n".join(lines)


def write_report(
    out: Path,
    selection: Selection,
    settings: SelectionSettings,
    argv: Sequence[str],
    experiment: str,
) -> Path:
    """model_selection.md (opening with the verdict), model_probabilities.csv,
    bayes_factors.csv, theory_pairs.csv, theory_support.csv and generations.csv."""
    from tabulate import tabulate

    order = ranked(selection)
    gens = selection.generations
    last = gens.iloc[-1]
    lines = [
        verdict(selection),
        "",
        "# Theories of change compared by the evidence",
        "",
        f"`lpsa toc {' '.join(argv)}`: ABC model selection (pyabc ABC-SMC) over the "
        f"{len(order)} theories of `{experiment}`, each with its own prior: uniform over every "
        "uncertain parameter of the parameters file that the theory does not fix, the theory's "
        "mechanism switches and set values fixed. Equal prior weight per theory. Distance: the "
        "calibration's root mean square of standardised distances over every pattern of the "
        "seeds and the councils' records, and Boyne and Chen's panel (each run with its "
        f"no-agreement twin). Seed {settings.seed}, {settings.replications} replications per "
        f"particle, population {settings.population}; {len(gens)} generations, final epsilon "
        f"{significant(last['epsilon'])}, {int(gens['simulations'].sum())} simulations; "
        f"effective sample size of the final population {selection.effective_size:.0f}.",
        "",
        "## Posterior probabilities",
        "",
        tabulate(table_rows(selection), headers=HEADER, tablefmt="github", disable_numparse=True),
        "",
        "A pattern *separates* two theories when the shares of their best worlds (each theory's "
        "particles in the last generation that kept any) within its tolerance differ by "
        f"{SEPARATING_SHARE:g} or more. Bayes factors: Kass and Raftery (1995): below "
        f"{UNSEPARATED:g} not worth more than a bare mention, to 20 positive, to 150 strong, "
        "above very strong. 'At least' marks a theory with no particle left in the final "
        "population: its probability is below one in the population.",
    ]
    extra = unseparated_lines(selection)
    lines += ["", "## What the evidence cannot separate", ""]
    lines += [f"- {x}" for x in extra] or [
        "- Every pair of theories it does not reject, it separates."
    ]
    lines += ["", "## Bayes factors (row over column)", ""]
    probs = selection.probabilities

    def cell(row: str, col: str) -> str:
        if probs[col] == 0 and probs[row] > 0:
            return bayes_text(probs[row] * selection.population, True)
        return bayes_text(float(selection.bayes_factors.loc[row, col]), False)

    lines.append(
        tabulate(
            [[n, *(cell(n, m) for m in order)] for n in order],
            headers=["", *order],
            tablefmt="github",
            disable_numparse=True,
        )
    )
    lines += ["", "## How the probabilities moved as epsilon fell", ""]
    lines.append(
        tabulate(
            [
                [
                    int(r["generation"]),
                    significant(r["epsilon"]),
                    int(r["simulations"]),
                    *(probability(r[n]) for n in order),
                ]
                for _, r in gens.iterrows()
            ],
            headers=["generation", "epsilon", "simulations", *order],
            tablefmt="github",
            disable_numparse=True,
        )
    )
    lines += [
        "",
        "## Each theory's best worlds on each pattern (share within tolerance)",
        "",
    ]
    s = selection.support
    lines.append(
        tabulate(
            [
                [
                    p.id,
                    *(
                        f"{s.loc[n, f'{p.id}_within']:.2f}"
                        if np.isfinite(s.loc[n].get(f"{p.id}_within", np.nan))
                        else "-"
                        for n in order
                    ),
                ]
                for p in selection.patterns
            ],
            headers=["pattern", *(at_generation(selection, n) for n in order)],
            tablefmt="github",
            disable_numparse=True,
        )
    )
    lines += [
        "",
        "## Caveats",
        "",
        "- ABC Bayes factors are exact only for sufficient statistics (Robert et al. 2011, "
        "PNAS 108:15112): these weigh the theories by how close each comes to the stated "
        "patterns at the final epsilon, and may move as epsilon falls (the table above).",
        "- Each theory's parameters are drawn from its prior in every generation, so every "
        "particle of a theory carries the same weight and the probabilities are not at the "
        "mercy of a few heavy particles; the price is a higher final epsilon than "
        "`lpsa calibrate` reaches.",
        "",
    ]
    probs = selection.probabilities.rename("probability").rename_axis("theory").reset_index()
    io.write_csv(out / "model_probabilities.csv", probs)
    io.write_csv(
        out / "bayes_factors.csv", selection.bayes_factors.rename_axis("theory").reset_index()
    )
    io.write_csv(out / "theory_pairs.csv", selection.pairs)
    io.write_csv(out / "theory_support.csv", selection.support.reset_index())
    io.write_csv(out / "generations.csv", gens)
    path = out / "model_selection.md"
    io.write_text(path, "\n".join(lines))
    return path
