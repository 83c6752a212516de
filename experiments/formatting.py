"""How numbers and units are written for people: every report and command formats through here.

Two ways of showing an outcome's values:

- *plain* numbers, as the sweep report and the pattern tables show them: fractions as fractions,
  money in millions (``plain_scale``, ``plain_label``), to three decimals (``fixed``, ``estimate``);
- *people's* units, as ``lpsa compare`` shows them (``shown``): shares in % (differences in
  percentage points), money in £m, each rounded to as many decimals as the largest value needs.

Everything here is pure: values in, text out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from lpsa.model.outcomes import REGISTRY, Outcome

MILLION = 1e-6
"""Money is shown in millions."""
SCALES = {"share": (100.0, "pp"), "GBP": (MILLION, "£m")}
"""How ``shown`` writes values of a registry unit: multiplied by the scale, a difference read in
the unit named (shares in percentage points, money in £ millions); other units as they are."""
PLAIN_UNITS = {"GBP": (MILLION, "GBP m")}
"""How plain tables scale and name a registry unit: money in millions, the rest as it is."""
UNIT_WORDS = {"share of stretch": "of stretch"}
"""Units named beside a label in other words than the registry's."""


# --- Plain numbers --------------------------------------------------------------------------


def fixed(value: float, digits: int = 3, signed: bool = False, missing: str | None = None) -> str:
    """``value`` to ``digits`` decimals ('0.412'; signed '+0.412'); with ``missing``, that text
    for an undefined (non-finite) value."""
    if missing is not None and not np.isfinite(value):
        return missing
    return f"{value:{'+' if signed else ''}.{digits}f}"


def estimate(mean: float, low: float, high: float, signed: bool = False) -> str:
    """A mean with its interval: '0.412 (0.398, 0.427)'; signed, '+0.012 (-0.003, +0.027)'."""
    return (
        f"{fixed(mean, signed=signed)} ({fixed(low, signed=signed)}, {fixed(high, signed=signed)})"
    )


def significant(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures ('0.285', '1.2e+03'); 'n/a' when undefined."""
    return "n/a" if not np.isfinite(value) else f"{value:.{digits}g}"


def span(low: float, high: float) -> str:
    """A range or interval in words: '0.25 to 0.8'."""
    return f"{significant(low)} to {significant(high)}"


def percent(share: float) -> str:
    """A share as a whole percentage, spaced: '82 %' (``lpsa compare``, the sweep report)."""
    return f"{100 * share:.0f} %"


def percent_range(low: float, high: float) -> str:
    """An interval on a share as whole percentages: '77-95 %'."""
    return f"{100 * low:.0f}-{100 * high:.0f} %"


def pct(share: float, digits: int = 0) -> str:
    """A share as a percentage, compact: '82%', '8.5%' (the calibration and discovery reports)."""
    return f"{share:.{digits}%}"


def assignments(point: Mapping[str, float]) -> str:
    """Parameter values as 'a.b=0.5, c.d=0.125' (four significant figures)."""
    return ", ".join(f"{k}={v:.4g}" for k, v in point.items())


def setting(value: object) -> str:
    """A parameter's value as a setting is written: true/false, a number in its shortest form,
    anything else as it is."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    return f"{value:g}" if isinstance(value, int | float | np.number) else str(value)


def labelled(label: str, unit: str) -> str:
    """``label`` with ``unit`` in brackets, unless the unit is empty or the label already says
    it."""
    return label if not unit or unit in label else f"{label} ({unit})"


def plain_unit(unit: str) -> tuple[float, str]:
    """(scale, unit shown) of a registry unit in a plain table (``PLAIN_UNITS``)."""
    return PLAIN_UNITS.get(unit, (1.0, unit))


def plain_scale(name: str) -> float:
    """What a plain table multiplies outcome ``name``'s values by."""
    return plain_unit(REGISTRY[name].unit)[0]


def plain_label(name: str) -> str:
    """Outcome ``name``'s label with the unit of a plain table ('Reward paid (GBP m)')."""
    o = REGISTRY[name]
    return labelled(o.label, plain_unit(o.unit)[1])


# --- People's units -------------------------------------------------------------------------


def scale_of(unit: str) -> tuple[float, str]:
    """(scale, unit of a difference) for a registry unit (``SCALES``)."""
    return SCALES.get(unit, (1.0, unit))


def unit_words(spec: Outcome) -> str:
    """The unit to name beside a label ('' for shares and money, which carry % and £m)."""
    return "" if spec.unit in SCALES else UNIT_WORDS.get(spec.unit, spec.unit)


def _decimals(magnitude: float, steps: tuple[float, ...]) -> int:
    for decimals, threshold in enumerate(steps):
        if magnitude >= threshold:
            return decimals
    return len(steps)


def shown(spec: Outcome, values: Sequence[float], difference: bool = False) -> list[str]:
    """``values`` of outcome ``spec`` as people read them, rounded alike: shares in % (percentage
    points for differences), money in £m; anything else as a plain number (its unit is given by
    :func:`unit_words`). Undefined values are '-'."""
    vals = [float(v) for v in values]
    finite = [abs(v) for v in vals if np.isfinite(v)]
    sign = "+" if difference else ""
    scale = scale_of(spec.unit)[0]
    if spec.unit == "share":
        steps, unit = (1000.0, 1.0, 0.1), " pp" if difference else " %"
    elif spec.unit == "GBP":
        steps, unit = (100.0, 10.0, 0.1), "m"
    else:
        steps, unit = (100.0, 10.0, 1.0), ""
    d = _decimals(max(finite, default=0.0) * scale, steps) if any(finite) else 1
    out = []
    for v in vals:
        if not np.isfinite(v):
            out.append("-")
        elif spec.unit == "GBP":
            s = "-" if v * scale < 0 else ("+" if difference and v > 0 else "")
            out.append(f"{s}£{abs(v * scale):,.{d}f}{unit}")
        else:
            out.append(f"{v * scale:{sign},.{d}f}{unit}")
    return out


def shown_estimate(spec: Outcome, mean: float, low: float, high: float, difference: bool) -> str:
    """A mean and its interval in people's units, rounded alike: '+10.5 pp (+9.8 pp to +11.2
    pp)'."""
    m, lo, hi = shown(spec, [mean, low, high], difference)
    return f"{m} ({lo} to {hi})"


def difference_heading(a: str, b: str) -> str:
    """The one sign convention for a difference between two regimes: A - B, in the order the
    command names them (the main job, ``lpsa report``'s compared scenarios, ``lpsa compare``)."""
    return f"{a} - {b}"


def outcome_label(spec: Outcome) -> str:
    """An outcome's label for a table of people's units: the registry's label, with its unit
    when the values do not carry one ('additionality (of stretch)')."""
    return labelled(spec.label, unit_words(spec))


def summary_text(names: Sequence[str], values: Mapping[str, Sequence[float]]) -> str:
    """The main job's summary as a readable table, one row per outcome: its label and name, each
    scenario's value in people's units and, for two scenarios, the difference A - B as the
    command names them (``difference_heading``; shares in %, their difference in percentage
    points; money in £m), as ``lpsa compare`` and ``lpsa report`` write it. ``values``: {outcome
    or other column: one value per scenario, in the order named}; a column that is not a
    registered outcome is shown as a plain number."""
    header = ["", "outcome", *names] + ([difference_heading(*names)] if len(names) == 2 else [])
    rows = [header]
    for name, vals in values.items():
        spec = REGISTRY.get(name)
        if spec is None:
            rows.append([name, "", *(setting(float(v)) for v in vals)])
            continue
        row = [outcome_label(spec), name, *shown(spec, vals)]
        if len(names) == 2:
            row += shown(spec, [float(vals[0]) - float(vals[1])], True)
        rows.append(row)
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            (c.ljust(w) if i < 2 else c.rjust(w)) for i, (c, w) in enumerate(zip(r, widths))
        ).rstrip()
        for r in rows
    )
