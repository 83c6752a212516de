"""Every column of every table a run writes, declared once: name, unit and description.

The tidy tables (``outputs.py``: ``targets``, ``authorities``, ``quarters``, ``trajectory``,
``ratings``) and the tables of runs (``runs``: one row per run, from the experiment runner) are
written as Parquet files by the main job, ``sweep``, ``report`` and ``compare``. Each file's
schema carries every column's ``description`` and ``unit`` as field metadata
(``experiments.io.to_arrow`` reads them here), and ``docs/data.md`` is generated from this module
(``python -m lpsa.model.columns > docs/data.md``; ``tests/test_columns.py`` checks both against
what runs write).

Three kinds of column are declared elsewhere and only looked up here, so that each is still
declared once:

- outcomes (columns of ``runs``): the outcome registry, ``outcomes.REGISTRY`` (label, unit,
  direction, description);
- swept parameters (columns of ``runs`` named by a dotted scenario path such as
  ``funding.ppg_share``): the scenario schema, ``scenario.py``, whose descriptions end in their
  unit in brackets;
- everything else: :data:`TABLES` below.

Performance is in *units of the agreed stretch* throughout: 0 is the projected baseline (what was
expected without the agreement), 1 the agreed enhancement. Quarters are numbered from 0, the run's
first quarter (in ``inspection.first_year``, 2001 by default).
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass

from pydantic import BaseModel

from .outcomes import REGISTRY, RETAINED_YEARS


@dataclass(frozen=True)
class Column:
    """One column of an output table: ``unit`` as people read it, ``description`` in a sentence.

    ``when``: written only in some runs (e.g. with no-agreement twins), empty when always.
    """

    name: str
    unit: str
    description: str
    when: str = ""


TWINS = "with twins: the main job's default, not with --no-twins; sweeps with `twins: true`"

# ---------------------------------------------------------------------------------- shared

SCENARIO = Column("scenario", "name", "the scenario's name (`name:` in its file)")
REPLICATION = Column(
    "replication",
    "index",
    "replication number r, from 0; it runs on seed `replication_seed(master seed, r)`, the same "
    "in every scenario run together (common random numbers)",
)
AUTHORITY = Column(
    "authority",
    "index",
    "council number, from 0, within its run (the row of `authorities.parquet` with the same "
    "scenario, replication and authority)",
)
START_QUARTER = Column(
    "start_quarter",
    "quarter",
    "quarter the council's agreement started (its first quarter)",
)
END_QUARTER = Column(
    "end_quarter",
    "quarter",
    "first quarter after the agreement's implementation: when it was assessed and the reward paid",
)
INTEGRATED = Column(
    "integrated",
    "true/false",
    "the council built its agreement into its wider improvement agenda (which keeps more of the "
    "gain afterwards)",
)
SIGNED = Column("signed", "true/false", "the council signed an agreement")
MAX_REWARD_TARGET = Column(
    "max_reward_gbp",
    "GBP",
    "the most reward the target could earn: its council's maximum reward grant over its number "
    "of targets",
)

_PERFORMANCE_AFTER = [
    column
    for y in RETAINED_YEARS
    for column in (
        Column(
            f"performance_{y}y",
            "share of stretch",
            f"reported performance {y} year{'s' if y > 1 else ''} after the agreement's end (the "
            "same quarter from each council's start)",
        ),
        Column(
            f"true_performance_{y}y",
            "share of stretch",
            f"true performance {y} year{'s' if y > 1 else ''} after the agreement's end",
        ),
    )
]
_ADDITIONALITY_AFTER = [
    Column(
        f"additionality_{y}y",
        "share of stretch",
        f"true performance {y} year{'s' if y > 1 else ''} after the end minus the no-agreement "
        "twin's at the same quarter: the agreement's effect still there then",
        when=TWINS,
    )
    for y in RETAINED_YEARS
]

# ---------------------------------------------------------------------------------- tables

TARGETS = (
    SCENARIO,
    REPLICATION,
    AUTHORITY,
    Column("slot", "index", "the target's place in its council's basket of targets, from 0"),
    Column("area", "name", "policy area (a key of the scenario's `areas:`, e.g. `education`)"),
    Column("department", "name", "the central department that owns the indicator (e.g. `DfES`)"),
    Column(
        "partner_type",
        "name",
        "the kind of partner organisation whose work the target also needs: police, health, "
        "schools, colleges or voluntary",
    ),
    Column("national", "true/false", "a national target (stretch on a departmental PSA target)"),
    Column("local_priority", "true/false", "one of the council's own priorities"),
    Column("partnership", "true/false", "a multi-agency target, which depends on partners' effort"),
    Column("cohort", "true/false", "a cohort-based target (measured on a defined group of people)"),
    Column("visible", "true/false", "the service is visible to influential publics"),
    Column(
        "indicator_quality",
        "0-1",
        "how well the indicator measures the service (1 = perfectly); poor ones invite gaming",
    ),
    Column(
        "tractability",
        "ratio",
        "how far effort can move this area's indicator (multiplies the target's potential)",
    ),
    Column(
        "potential",
        "share of stretch",
        "what full effort could achieve over the agreed stretch (above 1: the stretch was modest)",
    ),
    Column(
        "morale",
        "ratio",
        "effort multiplier from how fair the stretch seemed to the council (1 = no effect)",
    ),
    Column(
        "approach",
        "name",
        "how the council pursued the target: `systemic` (change to the system), `new_working` "
        "(new ways of working with ongoing costs), `more_of_same`, or `none` (not signed)",
    ),
    Column("innovation", "true/false", "a systemic approach that was real innovation"),
    Column(
        "innovation_success",
        "true/false",
        "the systemic change became tangible (kept afterwards whatever the funding)",
    ),
    Column("ppg_gbp", "GBP", "pump-priming grant spent on the target"),
    Column("ppg_part", "0-1", "share of the target's resources that the pump-priming grant paid"),
    Column(
        "start_delay",
        "quarters",
        "quarters after the agreement's start before its extra work on the target began",
    ),
    Column(
        "usual_gain",
        "share of stretch",
        "what business-as-usual effort alone had built by the end (the no-agreement path; kept "
        "afterwards as normal work)",
    ),
    Column(
        "authority_rating",
        "stars (1-4)",
        "the council's service rating before the scheme",
    ),
    INTEGRATED,
    START_QUARTER,
    END_QUARTER,
    Column(
        "end_core",
        "share of stretch",
        "at the agreement's end, the improvement the council's own work produced (true "
        "performance without the background trend and external shocks)",
    ),
    Column(
        "share_of_stretch",
        "share of stretch",
        "reported performance at the agreement's end: attainment is judged and reward paid on it",
    ),
    Column("true_share_of_stretch", "share of stretch", "true performance at the agreement's end"),
    Column(
        "reporting_gap",
        "share of stretch",
        "reported minus true performance at the end (gaming: presentation, cohort focus, "
        "threshold nudges)",
    ),
    Column(
        "gaming_strength",
        "dimensionless (0 = none)",
        "how strongly the target invited gaming (propensity, reward at stake, poor indicator, "
        "less audit)",
    ),
    Column(
        "background_gain",
        "share of stretch",
        "improvement from other national policies accumulated from the agreement's start to the "
        "run's last quarter (not the council's own work)",
    ),
    Column(
        "setback",
        "share of stretch (0 = none)",
        "fall of the indicator at a setback the council does not control (an indicator "
        "redefined, a service collapse, a harder cohort; targets.draw_setbacks), kept from its "
        "quarter on",
    ),
    Column(
        "setback_quarter",
        "quarter (absolute; -1 = none)",
        "the quarter the target's setback surfaced",
    ),
    Column(
        "outcome",
        "name",
        "attainment by the payout rule: `met` (100 % of stretch or more), `partly` (from the "
        "60 % floor to 100 %), `missed` (below the floor)",
    ),
    Column("reward_gbp", "GBP", "performance reward grant the target earned"),
    MAX_REWARD_TARGET,
    *_PERFORMANCE_AFTER,
    Column(
        "twin_true_share_of_stretch",
        "share of stretch",
        "true performance at the end of the same target in the no-agreement twin (same councils "
        "and chance events, no agreement)",
        when=TWINS,
    ),
    Column(
        "additionality",
        "share of stretch",
        "true performance at the end minus the twin's: the agreement's effect",
        when=TWINS,
    ),
    Column(
        "deadweight",
        "share of stretch",
        "the twin's own improvement at the end: what would have happened anyway",
        when=TWINS,
    ),
    *_ADDITIONALITY_AFTER,
)

AUTHORITIES = (
    SCENARIO,
    REPLICATION,
    AUTHORITY,
    Column(
        "authority_type",
        "name",
        "kind of council: county, unitary, metropolitan, london",
    ),
    Column("population", "persons", "residents"),
    Column("net_budget_gbp", "GBP", "net budget requirement a year"),
    Column("budget_climate", "0-1", "financial climate: 0 cash-strapped, 1 affluent"),
    Column("capacity", "0-1", "corporate capacity to take on improvement work"),
    Column("will", "0-1", "will to improve"),
    Column("leadership", "0-1", "political leadership and a shared story for the agreement"),
    Column("thinking_time", "0-1", "time to think about new approaches"),
    Column("turnover", "chance per quarter", "chance that a target's champion leaves, a quarter"),
    Column("trust_at_signing", "0-1", "trust in central government when the agreement was signed"),
    Column("trust", "0-1", "trust in central government at the run's end"),
    Column(
        "learned_capacity",
        "0-1",
        "share of the gap to full effort the council learned to close through its agreement "
        "(001:97-103), at the run's end; 0 unless authorities.learning_rate > 0",
    ),
    Column("rating", "stars (1-4)", "service rating before the scheme"),
    INTEGRATED,
    SIGNED,
    START_QUARTER,
    END_QUARTER,
    Column("ff_granted", "count", "requests for freedoms and flexibilities granted"),
    Column("ff_refused", "count", "requests for freedoms and flexibilities refused"),
    Column(
        "ff_broken_promises",
        "count",
        "requests for freedoms and flexibilities promised and not delivered",
    ),
    Column("ppg_gbp", "GBP", "pump-priming grant paid (0 when not signed)"),
    Column("max_reward_gbp", "GBP", "maximum performance reward grant (0 when not signed)"),
    Column("reward_gbp", "GBP", "performance reward grant earned, over all its targets"),
    Column(
        "other_services",
        "share of stretch",
        "change of the council's untargeted services at the run's end (diversion to the targets "
        "lowers it)",
    ),
    Column("years_rated", "count", "annual inspection ratings given during the run"),
    Column("rating_rises", "count", "years in which the council's rating rose a star or more"),
    Column("rating_falls", "count", "years in which the council's rating fell a star or more"),
    Column("final_rating", "stars (1-4)", "the council's last annual inspection rating"),
)

_PHASE_COUNTS = [
    Column(f"councils_{phase}", "count", f"councils {words} in that quarter")
    for phase, words in (
        ("negotiation", "negotiating their agreement"),
        ("implementation", "implementing their agreement"),
        ("follow_up", "in the follow-up years after their agreement's end"),
        ("not_signed", "that were offered an agreement and did not sign"),
        ("finished", "past their follow-up years"),
    )
]

QUARTERS = (
    SCENARIO,
    REPLICATION,
    Column("quarter", "quarter", "the quarter"),
    *_PHASE_COUNTS,
    Column(
        "mean_performance_implementing",
        "share of stretch",
        "mean reported performance of the targets of councils implementing their agreement "
        "(empty when none is)",
    ),
    Column(
        "mean_performance_follow_up",
        "share of stretch",
        "mean reported performance of the targets of councils in their follow-up years (empty "
        "when none is)",
    ),
    Column(
        "mean_effort_implementing",
        "0-1",
        "mean effort on the targets of councils implementing their agreement (empty when none is)",
    ),
    Column("mean_trust", "0-1", "mean trust of every council in central government"),
    Column("ppg_paid_gbp", "GBP", "pump-priming grant paid in the quarter, all councils"),
    Column("reward_paid_gbp", "GBP", "performance reward grant paid in the quarter, all councils"),
)

TRAJECTORY = (
    SCENARIO,
    REPLICATION,
    Column(
        "quarter_from_start",
        "quarters",
        "quarters since each agreement's start (0 = its first quarter)",
    ),
    Column(
        "quarter_from_end",
        "quarters",
        "quarters since each agreement's end: 0 is the first quarter after it, negative during it",
    ),
    Column(
        "approach",
        "name",
        "the targets averaged: `all`, or those of one approach (`systemic`, `new_working`, "
        "`more_of_same`)",
    ),
    Column(
        "mean_performance",
        "share of stretch",
        "mean reported performance of those targets, signed councils only (empty when there are "
        "none)",
    ),
    Column(
        "bau_performance",
        "share of stretch",
        "business as usual: the same targets' mean reported performance in the run's "
        "no-agreement twin (same councils, same quarters from start; empty without twins)",
    ),
    Column("n_targets", "count", "targets averaged"),
)

RATINGS = (
    SCENARIO,
    REPLICATION,
    AUTHORITY,
    Column("year", "calendar year", "year of the annual inspection assessment"),
    Column("rating", "stars (1-4)", "the year's rating"),
    Column("score", "stars", "the assessment's score before rounding to a rating"),
    Column("previous_rating", "stars (1-4)", "the rating the year before (or before the scheme)"),
    Column(
        "moved", "stars", "+1 rose a star or more, -1 fell a star or more, 0 kept the same rating"
    ),
    Column(
        "service_rating",
        "stars (1-4)",
        "the year's service-level rating: adult social care's star rating, scored on the "
        "council's social care targets (or its untargeted services without one); what the "
        "evidence's rating moves count (003:418)",
    ),
    Column(
        "service_moved",
        "stars",
        "+1 the service-level rating rose a star or more, -1 fell, 0 kept the same rating",
    ),
    Column(
        "phase",
        "name",
        "the council's phase at the year's end: negotiation, implementation, follow_up, "
        "not_signed, finished",
    ),
    SIGNED,
)

RUNS = (
    Column(
        "run_id",
        "index",
        "run number, from 0: point x replications + replication",
    ),
    Column(
        "world",
        "index",
        "`compare`: the plausible world (a draw from the posterior), from 0",
        when="compare only",
    ),
    Column(
        "regime",
        "name",
        "`compare`: `A` or `B`, the regime run in that world",
        when="compare only",
    ),
    Column(
        "particle",
        "index",
        "`compare`: the posterior particle (row of the posterior ensemble) the world came from",
        when="compare only",
    ),
    Column(
        "point",
        "index",
        "parameter point, from 0 (a scenario of the main job, a combination of a sweep's values, "
        "a variant)",
    ),
    Column("name", "name", "the point's name: its scenario, variant or regime"),
    REPLICATION,
    Column(
        "seed",
        "integer",
        "the model seed of the run: `replication_seed(master seed, replication)`",
    ),
    Column("status", "name", "`ok`, or `failed` (the run raised; its outcomes are then empty)"),
    Column("error", "text", "a failed run's error, in one line (empty when ok)"),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "targets": TARGETS,
    "authorities": AUTHORITIES,
    "quarters": QUARTERS,
    "trajectory": TRAJECTORY,
    "ratings": RATINGS,
    "runs": RUNS,
}
"""Each table (its file is ``<table>.parquet``) and its own columns, in the order written. The
runs table also has a column per outcome (``outcomes.REGISTRY``) and, in sweeps and ``compare``,
one per swept parameter (scenario paths)."""

UNIT_IN_BRACKETS = re.compile(r"\[([^\[\]]+)\]")


def _schema_field(path: str) -> typing.Any:
    """The pydantic field of a dotted scenario path (``funding.ppg_share``,
    ``areas.education.weight``), or None when the schema has no such parameter."""
    from .scenario import Scenario

    model: typing.Any = Scenario
    info = None
    parts = path.split(".")
    if len(parts) < 2:  # name, seed, replications: a scenario's identity, not a parameter
        return None
    i = 0
    while i < len(parts):
        fields = getattr(model, "model_fields", None)
        if fields is None or parts[i] not in fields:
            return None
        info = fields[parts[i]]
        model = info.annotation
        i += 1
        if typing.get_origin(model) is dict and i < len(parts):  # areas.NAME.x, types.NAME.x
            model = typing.get_args(model)[1]
            i += 1
    if isinstance(model, type) and issubclass(model, BaseModel):
        return None  # a whole section, not a parameter
    return info


def parameter_column(path: str) -> Column | None:
    """A swept parameter's column: the scenario schema's description, its unit from the
    brackets that end it (``true/false`` for a switch); None when ``path`` is no parameter."""
    info = _schema_field(path)
    if info is None:
        return None
    text = info.description or ""
    if info.annotation is bool:
        unit = "true/false"
    else:
        units = UNIT_IN_BRACKETS.findall(text)
        unit = units[0] if units else "as in the scenario schema"
    words = UNIT_IN_BRACKETS.sub("", text).split("; assumption")[0]
    words = re.sub(r"\s+([;,.)])", r"\1", " ".join(words.split())).rstrip(" ;,")
    return Column(path, unit, f"scenario parameter `{path}`: {words or 'see the schema'}")


def describe(table: str, name: str) -> Column | None:
    """Column ``name`` of ``table`` (``"targets"``, ``"runs"`` ...): its own declaration, else an
    outcome (runs), else a swept scenario parameter (runs); None when it is not declared."""
    for column in TABLES.get(table, ()):
        if column.name == name:
            return column
    if table != "runs":
        return None
    outcome = REGISTRY.get(name)
    if outcome is not None:
        when = TWINS if outcome.needs_twins else ""
        return Column(name, outcome.unit, outcome.description, when)
    return parameter_column(name)


def field_metadata(table: str, name: str) -> dict[bytes, bytes] | None:
    """Parquet field metadata of a column: ``description`` and ``unit`` (and an outcome's
    ``label`` and ``direction``); None when the column is not declared."""
    column = describe(table, name)
    if column is None:
        return None
    meta = {b"description": column.description.encode(), b"unit": column.unit.encode()}
    outcome = REGISTRY.get(name) if table == "runs" else None
    if outcome is not None:
        meta[b"label"] = outcome.label.encode()
        meta[b"direction"] = outcome.direction.encode()
    return meta


# ---------------------------------------------------------------------------------- docs/data.md

FILES = {
    "targets": "One row per target of every council that signed, per scenario and replication",
    "authorities": "One row per council offered an agreement, per scenario and replication",
    "quarters": "One row per quarter of the run, per scenario and replication",
    "trajectory": (
        "Mean reported performance by quarter from each agreement's start, overall and by "
        "approach, per scenario and replication"
    ),
    "ratings": (
        "One row per council and year rated: the annual inspection ratings, per scenario and "
        "replication"
    ),
    "runs": (
        "One row per run (the main job: per scenario and replication; `sweep` and `report`: per "
        "point and replication; `compare`: per world, regime and replication)"
    ),
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _rows(columns: typing.Iterable[Column]) -> list[str]:
    rows = ["| column | unit | description |", "|---|---|---|"]
    for c in columns:
        note = f" *({c.when})*" if c.when else ""
        rows.append(f"| `{c.name}` | {_cell(c.unit)} | {_cell(c.description)}{note} |")
    return rows


def data_dictionary() -> str:
    """``docs/data.md``: every output file's columns with unit and description, from this module
    and the outcome registry."""
    out = [
        "# Data dictionary",
        "",
        "<!-- Generated from model/columns.py and the outcome registry (model/outcomes.py) by",
        "     `python -m lpsa.model.columns > docs/data.md`; tests/test_columns.py checks it is",
        "     current and matches what runs write. Edit those, not this file. -->",
        "",
        "Every Parquet file that `lpsa` (the main job), `lpsa sweep`, `lpsa report` and "
        "`lpsa compare` write carries each column's `description` and `unit` in its schema, as "
        "field metadata (outcomes also their `label` and `direction`):",
        "",
        "```python",
        "import pyarrow.parquet as pq",
        "",
        'field = pq.read_schema("results/RUN/targets.parquet").field("end_core")',
        'print(field.metadata[b"description"].decode(), field.metadata[b"unit"].decode())',
        "```",
        "",
        "**Units.** *share of stretch*: performance in units of the agreed stretch, 0 the "
        "projected baseline (what was expected without the agreement) and 1 the agreed "
        "enhancement; *reported* performance is the indicator the reward is paid on, *true* "
        "performance what really happened (they differ by gaming). *share* and *0-1*: a "
        "fraction from 0 to 1. *GBP*: pounds. *quarter*: a quarter of the run, numbered from 0 "
        "(the run's first quarter, in `inspection.first_year`: 2001 by default). "
        "*stars*: inspection ratings, 1 to 4. *index*: a number from 0. *name*: text from a "
        "fixed set, given in the description. An empty (null or NaN) value means undefined.",
        "",
    ]
    for table, columns in TABLES.items():
        out += [f"## `{table}.parquet`", "", FILES[table] + ".", ""]
        out += _rows(columns)
        out.append("")
        if table == "runs":
            out += [
                "Then one column per outcome of the outcome registry (the experiment's "
                "`outcomes:`, by default every one; those that need twins only with twins):",
                "",
            ]
            out += _rows(describe("runs", name) for name in REGISTRY)  # type: ignore[misc]
            out += [
                "",
                "In `sweep`, `report` and `compare` results, one more column per swept "
                "parameter, named by its dotted scenario path (e.g. `funding.ppg_share`), with "
                "the description and unit of the scenario schema (`model/scenario.py`) in its "
                "field metadata.",
                "",
            ]
    out += [
        "## `summary.csv` and `summary_columns.csv`",
        "",
        "The main job's summary: one row per scenario (`scenario`, `replications`, then each "
        "outcome's mean over replications, columns as in `runs.parquet`); with two scenarios a "
        "third row, `A - B`, holds each outcome's difference of means in the order the command "
        "named them. `summary_columns.csv` gives each of its columns' `label`, `unit` and "
        "`description` (a CSV file has no field metadata).",
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    print(data_dictionary(), end="")
