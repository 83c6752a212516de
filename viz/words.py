"""Words for the trainers' dashboard: labels, glossary, stories, narration and the About page.

Everything a room of council officers and civil servants reads on screen lives here, in plain
British English and in one place, so the dashboard code holds no prose. Nothing shown on the main
screen carries an internal name or an evidence code; the codes (``000:123`` = seed file 000, line
123, in ``../shared/seeds/``) appear only on the About page, where each claim quotes its source and
``tests/test_words.py`` checks that the quotation is on the cited lines.
"""

from __future__ import annotations

import markdown

from lpsa.model.scenario import Mechanisms

# ---------------------------------------------------------------------------------- mechanisms

MECHANISM_LABELS: dict[str, tuple[str, str]] = {
    "will_and_reward": (
        "Reward adds a little will",
        "Switched off, the prospect of reward adds nothing to a council's will to improve.",
    ),
    "capacity_constraint": (
        "Capacity and resources limit effort",
        "Switched off, only will matters, as government assumed: capacity and money set no limit.",
    ),
    "ppg_enables": (
        "Pump-priming grant buys capacity",
        "Switched off, the up-front grant buys no extra capacity for the targets it is spent on.",
    ),
    "approach_choice": (
        "Councils choose their approach",
        "Switched off, every council splits its targets between the three approaches in fixed "
        "shares.",
    ),
    "stretch_uncertainty": (
        "Stretch is a shot in the dark",
        "Switched off, stretch is set from perfect data, national targets get no extra stretch, "
        "and morale is untouched.",
    ),
    "late_start": (
        "Work starts late, after signing",
        "Switched off, work on every target starts in the quarter the agreement begins.",
    ),
    "champions_turnover": (
        "Champions drive targets, and leave",
        "Switched off, effort does not depend on having a champion, and staff leaving does no "
        "harm.",
    ),
    "partnerships": (
        "Shared targets need partners",
        "Switched off, partners always pull their weight, so shared targets behave like the "
        "council's own.",
    ),
    "priority_shifts": (
        "Central priorities shift",
        "Switched off, departments never move national priorities, so councils and partners stay "
        "on course.",
    ),
    "corporate_drift": (
        "Corporate centre moves on after the end",
        "Switched off, the corporate centre keeps up the funding it planned once the agreement "
        "ends.",
    ),
    "budget_climate": (
        "Rich and cash-strapped councils differ",
        "Switched off, every council has the same average budget, and no cuts hit funding after "
        "the end.",
    ),
    "systemic_persistence": (
        "Systemic change lasts without money",
        "Switched off, gains from systemic change need continued funding and fall back like any "
        "other.",
    ),
    "raised_expectations": (
        "Raised expectations hold services up",
        "Switched off, services the public sees fall back as fast as those it does not.",
    ),
    "cohort_focus": (
        "Cohort targets lose gains with the group",
        "Switched off, targets about one group, such as a year of pupils, keep gains like any "
        "other.",
    ),
    "freedoms_flexibilities": (
        "Freedoms requested, granted or refused",
        "Switched off, councils ask for no freedoms, so none is granted, refused or broken, and "
        "trust holds.",
    ),
    "innovation_risk": (
        "Innovation is risky and dips first",
        "Switched off, every systemic change works, and none dips before it rises.",
    ),
    "reward_reinvestment": (
        "Some reward goes back into the targets",
        "Switched off, none of the reward is spent on keeping up the targeted services.",
    ),
    "negotiation_capacity": (
        "Agreements negotiated in batches",
        "Switched off, every agreement is negotiated at once and all start together.",
    ),
    "participation": (
        "Councils choose whether to sign",
        "Switched off, every council signs, whatever the offer.",
    ),
    "catch_up": (
        "Low-rated councils have more room",
        "Switched off, councils with low star ratings have no extra room to improve.",
    ),
    "background_trend": (
        "Other national policies move indicators",
        "Switched off, indicators move only through what councils do, with no national tide.",
    ),
    "gaming_threshold": (
        "Figures nudged over the payout floor",
        "Switched off, no council pushes a figure from just below the payout floor to just above "
        "it.",
    ),
    "gaming_cohort": (
        "Cohort focus flatters the figures",
        "Switched off, focusing on the measured group no longer makes reported gains look bigger.",
    ),
    "gaming_presentation": (
        "Poor figures shown in a good light",
        "Switched off, reported figures show the true position, with no gloss.",
    ),
    "gaming_ratchet": (
        "Holding back once the stretch is met",
        "Switched off, councils keep up full effort after meeting the stretch.",
    ),
    "council_sizes": (
        "Councils vary in size",
        "Switched off, every council has the typical population of its kind.",
    ),
    "ppg_shapes_approach": (
        "How the grant is spent shapes approach",
        "Switched off, spending the grant on co-ordination or on the front line makes no "
        "difference.",
    ),
    "ppg_bought_gains": (
        "Gains the grant bought end with it",
        "Switched off, the part of a gain that the grant paid for stays when the money stops.",
    ),
    "stretch_morale_selective": (
        "Wrong stretch hurts only some targets",
        "Switched off, stretch that is too hard or too easy lowers effort on every target.",
    ),
    "innovation_vs_best_practice": (
        "Most systemic change is best practice",
        "Switched off, every systemic change is real innovation, with its risk of failure and "
        "early dip.",
    ),
    "budget_pressure": (
        "Budget cuts bite during the agreement",
        "Switched off, cuts to mainstream budgets during the agreement do not lower effort.",
    ),
    "priority_moves": (
        "A shift raises other indicators",
        "Switched off, a priority shift only lowers the indicators it hits, and none gains.",
    ),
    "freedoms_over_time": (
        "Promises broken during the work",
        "Switched off, freedoms are settled at signing, and lost trust does not lower effort.",
    ),
    "business_as_usual": (
        "Councils work on these services anyway",
        "Switched off, only the agreement improves these services; nothing would happen anyway.",
    ),
    "inspection": (
        "Star ratings spur attention",
        "Switched off, ratings are still given, but a low or falling rating changes nothing.",
    ),
    "motivation_crowding": (
        "Reward crowds out staff motivation",
        "Switched off, reward does not weaken the drive of staff who work for better outcomes.",
    ),
    "reward_corporate_pull": (
        "Reward moves the corporate centre",
        "Switched off, reward does not make the corporate centre push the targets harder.",
    ),
    "reward_risk_aversion": (
        "Councils bear the reward's risk",
        "Switched off, councils value the reward at face value, however risky the target.",
    ),
    "diversion": (
        "Other services lose a little",
        "Switched off, services outside the agreement lose nothing while the targets gain.",
    ),
    "improvement_agenda": (
        "Built into the wider improvement plan",
        "Switched off, no council builds the agreement into its wider plans, so none keeps extra.",
    ),
    "authority_learning": (
        "Councils learn from their agreement",
        "Switched off, councils learn nothing from their agreement: no extra effort, no slower "
        "fall-back.",
    ),
    "setbacks": (
        "Setbacks outside the council's control",
        "Switched off, no target meets a setback the council does not control.",
    ),
    "target_choice": (
        "Councils choose their local targets",
        "Switched off, councils take local targets as offered: no dodging risk or hard areas.",
    ),
}
"""Mechanism switch -> (label of at most 40 characters, what switching it off means)."""


def missing_mechanism_labels() -> list[str]:
    """Mechanism switches of the model that have no label here (should be none)."""
    return [name for name in Mechanisms.model_fields if name not in MECHANISM_LABELS]


# ---------------------------------------------------------------------------------- glossary

GLOSSARY: dict[str, str] = {
    "LPSA": (
        "Local Public Service Agreement: a council agreed stretch targets with central "
        "government, usually for three years, for money up front, freedoms and a reward."
    ),
    "Stretch target": (
        "One of the dozen or so targets in an agreement, set above what the council was "
        "expected to achieve anyway."
    ),
    "Stretch": (
        "The improvement agreed on top of the expected level. The model measures each target "
        "in stretch: 0 is the expected level, 100 per cent the target."
    ),
    "Pump-priming grant (PPG)": (
        "Money paid up front to start the work, spent before anyone knows whether the target "
        "will be met."
    ),
    "Reward grant": (
        "The performance reward grant, paid after the end for the share of stretch achieved, "
        "in instalments over two years."
    ),
    "Payout floor": (
        "A target below 60 per cent of its stretch earns no reward. Above it, reward grows "
        "with the share achieved."
    ),
    "Business as usual": (
        "Work the council does on a service anyway. Its improvement would have happened "
        "without the agreement."
    ),
    "Gain kept": (
        "Of a target's improvement at its agreement's end, the share still there later: now on "
        "the Presentation page, one, three or five years on in the table of every outcome."
    ),
    "Projected baseline": (
        "0 on the charts: where a target was expected to be without the agreement."
    ),
    "More of the same": (
        "Using the grant to buy extra of what the service already does. Quick results that "
        "fall back when the money stops."
    ),
    "New ways of working": (
        "New practice with ongoing costs. It lasts only while someone keeps paying."
    ),
    "Systemic change": (
        "Changing how the service works. When it works it lasts without extra money; real "
        "innovation is risky and often dips first."
    ),
    "Champion": (
        "The person who drives one target. If they leave and nobody takes over, the target "
        "loses its push."
    ),
    "Partnership target": (
        "A target the council can meet only with partners, such as the police, who follow "
        "their own department's priorities."
    ),
    "CPA and star ratings": (
        "The Comprehensive Performance Assessment and the star ratings of services: inspectors' "
        "yearly judgements of councils. A low or falling rating brings pressure to improve."
    ),
    "Freedoms and flexibilities": (
        "Relief from central rules, asked for in the negotiation. Councils were disappointed, "
        "and broken promises cost more trust than refusals."
    ),
    "Follow-up": (
        "The years after an agreement ends, when its money and attention stop. The model "
        "watches at least five."
    ),
    "Cohort target": (
        "A target about one group, such as this year's exam pupils. Gains can leave with the group."
    ),
    "Corporate centre": (
        "The council's leaders and central teams, who decide where money and attention go "
        "after the agreement."
    ),
}
"""Term -> plain definition in one or two sentences."""

TABLE_GLOSSARY: dict[str, str] = {
    "Points of the target": (
        "Differences in shares of the stretch: +20 points is a fifth of the way from the "
        "baseline to the target."
    ),
    "Met, partly met, missed": (
        "Met: the full stretch reached at the end. Partly met: 60 per cent of it or more, which "
        "earned some reward. Missed: less."
    ),
    "Local and national targets": (
        "National targets follow a priority set by a government department; local ones were "
        "chosen by the council."
    ),
    "Single-agency target": "A target the council can meet on its own, without partners.",
    "Reported and true figures": (
        "What the council reports against what really happened. Reported minus true is the "
        "gloss put on the figures while reward is at stake."
    ),
    "Missed targets that improved": (
        "Targets that missed their stretch although their figure still rose."
    ),
    "Additionality (added improvement)": (
        "What the agreement added: the improvement with it minus the same council's improvement "
        "without it (business as usual), per target."
    ),
    "Deadweight": (
        "Improvement that would have happened anyway, without the agreement. The deadweight "
        "share is the part of the improvement that was deadweight."
    ),
    "Gain kept per £m": (
        "Improvement still there three years after the end, in stretches summed over targets, "
        "for each million pounds of grant and reward paid. Gross counts deadweight; value for "
        "money counts only what the agreement added."
    ),
    "Untargeted services": (
        "The council's services outside the agreement, which can lose a little while the "
        "targets gain."
    ),
    "Councils that signed": "The share of councils offered an agreement that signed one.",
}
"""The terms of the table of every outcome (the Councils page, once a run ends) that the About
page's glossary does not define: shown under the table."""


# ---------------------------------------------------------------------------------- captions

CAPTIONS: dict[str, str] = {
    "performance": (
        "Every line averages all the councils that signed, quarter by quarter, up to now. 0 is "
        "each target's projected baseline, 100% the agreed target. Shaded: the quarters the "
        "agreements end, dashed: most have ended."
    ),
    "retained": (
        "For councils whose agreement has ended: of the gain they had made by its end, the "
        "share still there now, by how they tackled each target."
    ),
    "grid": (
        "One square a council. On course: where a council on course would be by now; partly "
        "there: 60% of that or more (the payout floor); ended: its targets now against their "
        "level at its end."
    ),
    "areas": (
        "Each area's targets: met (the full stretch), partly met (60% or more of it, which "
        "earned some reward) or missed."
    ),
}
"""The caption under each chart: what a point, a bar or a square is."""


# ---------------------------------------------------------------------------------- phases

STORY_PHASES: dict[str, str] = {
    "negotiation": "Negotiating the agreements",
    "implementation": "Three years of work",
    "end": "The money stops",
    "follow_up": "After the end",
    "finished": "Looking back",
}
"""Each narration phase's heading on the screen."""

NARRATION_PHASES: tuple[str, ...] = tuple(STORY_PHASES)
"""The dashboard's phases of a story, in order; ``end`` is the quarter the money stops."""


# ---------------------------------------------------------------------------------- stories

STORY_TITLES: dict[str, str] = {
    "free_play": "Free play: all 150 councils",
    "ppg_vs_reward": "Money up front or reward at the end?",
    "more_of_the_same": "Cash-strapped councils doing more of the same",
    "champion_leaves": "The champion leaves and nobody takes over",
    "priorities_shift": "Central priorities shift mid-agreement",
    "systemic_change": "Affluent councils changing the system",
}

STORY_SHORT: dict[str, str] = {
    "free_play": "Free play",
    "ppg_vs_reward": "Up front or reward",
    "more_of_the_same": "Cash-strapped",
    "champion_leaves": "Champion leaves",
    "priorities_shift": "Priorities shift",
    "systemic_change": "Systemic change",
}
"""Each story's name on a pinned line and in a link's title."""

STORY_WATCH: dict[str, str] = {
    "free_play": (
        "Watch performance climb over the three years, then sag once the agreements end. How "
        "much of the gain is still there at the end of the run?"
    ),
    "ppg_vs_reward": (
        "The same councils, the same luck, two ways of paying. Watch which meets more targets, "
        "and which has more of its gain still there at the end of the run."
    ),
    "more_of_the_same": (
        "Short of money, these councils spend the grant on extra front-line activity. Watch the "
        "fall when the money stops: further than free play's (pin it first), and less gain "
        "still there."
    ),
    "champion_leaves": (
        "Staff move on often and nobody hands over. Watch the line top out lower than free "
        "play's (pin it first), and fewer targets met."
    ),
    "priorities_shift": (
        "Departments keep moving national priority, say from car crime to burglary, and "
        "partners follow their own department. Watch fewer targets met, and a lower peak than "
        "free play's (pin it first)."
    ),
    "systemic_change": (
        "These councils have money, time to think and a taste for risk. Watch how much of the "
        "gain stays after the end: the line falls back less than free play's (pin it first)."
    ),
}

NARRATION: dict[str, dict[str, str]] = {
    "free_play": {
        "negotiation": (
            "Councils are negotiating their agreements. The central team can only handle so "
            "many at once, so they start in batches, over two years."
        ),
        "implementation": (
            "Three years of work. Watch performance climb towards the stretch, and which "
            "targets lag behind."
        ),
        "end": (
            "The money stops now. Each target is assessed, and reward is paid only where it "
            "reached at least 60 per cent of its stretch."
        ),
        "follow_up": (
            "The spotlight has moved on. Watch what falls back, and which approaches hold "
            "their gains."
        ),
        "finished": (
            "The run is over: compare what was met with what was kept. Ask the room: which of "
            "these gains would have happened anyway?"
        ),
    },
    "ppg_vs_reward": {
        "negotiation": (
            "The same councils sign the same targets twice. In one world most of the money "
            "comes up front as grant; in the other most waits as reward."
        ),
        "implementation": (
            "Money up front buys capacity now; a promised reward buys only a little will. "
            "Watch which world climbs faster."
        ),
        "end": (
            "The money stops now. The grant is long spent; the reward will be paid over the "
            "next two years, and most of it may go elsewhere."
        ),
        "follow_up": (
            "Watch what falls back in each world. Gains the grant bought tend to go when the "
            "money goes."
        ),
        "finished": (
            "Compare targets met with the gain still there: often one world wins the first "
            "and the other the second. Ask the room: which matters more to you?"
        ),
    },
    "more_of_the_same": {
        "negotiation": (
            "These councils are short of money. They sign mainly for the cash, to fill gaps "
            "and fight fires."
        ),
        "implementation": (
            "The grant pays for more of the same: extra hours, extra sessions. Performance "
            "climbs while the grant pays."
        ),
        "end": (
            "The money stops now. Nothing replaces the extra activity the grant was paying for."
        ),
        "follow_up": (
            "Watch the more-of-the-same gains fall back, faster than any other kind. Budget "
            "cuts make it worse."
        ),
        "finished": (
            "A short boost is not lasting improvement. Ask the room: what would you have had "
            "to change, or keep paying for, to hold on to it?"
        ),
    },
    "champion_leaves": {
        "negotiation": (
            "Each target needs one person to drive it. In these councils people move on often "
            "and nobody is in the habit of handing over."
        ),
        "implementation": (
            "Champions are leaving. A target without one loses much of its push until someone "
            "new picks it up."
        ),
        "end": (
            "The money stops now. Targets that lost their champion part-way have less to show "
            "and less reward to claim."
        ),
        "follow_up": (
            "Turnover did its damage during the work. Watch what falls back: what was gained "
            "now lasts or fades with how it was achieved."
        ),
        "finished": (
            "Progress rested on people, not systems. Ask the room: who holds each of your "
            "targets, and what happens if they leave tomorrow?"
        ),
    },
    "priorities_shift": {
        "negotiation": (
            "Councils agree targets that match today's national priorities, including crime "
            "targets shared with the police."
        ),
        "implementation": (
            "National priorities are moving. When the Home Office turns to burglary, the "
            "police follow, and the car crime target loses its partner."
        ),
        "end": (
            "The money stops now. Targets whose priority moved away end further from their stretch."
        ),
        "follow_up": (
            "Watch shared targets fall back as partners put their effort where their own "
            "department now points."
        ),
        "finished": (
            "A target is only as steady as the priorities behind it. Ask the room: which of "
            "your targets rests on a partner whose priorities are set elsewhere?"
        ),
    },
    "systemic_change": {
        "negotiation": (
            "These councils have money and time to think. Many choose to change how the "
            "service works, not just to do more of it."
        ),
        "implementation": (
            "Some of this is real innovation: risky, and only about one in three works. Most "
            "systemic change applies proven practice and seldom fails."
        ),
        "end": (
            "The money stops now. Changes built into how the service works do not depend on it."
        ),
        "follow_up": (
            "Watch how little falls back where the change worked. Where it failed, there was "
            "little gain to keep."
        ),
        "finished": (
            "Lasting gains came from changing the system, not from buying activity. Ask the "
            "room: what room to experiment, and to fail, would your council need?"
        ),
    },
}
"""Story -> dashboard phase -> what the screen says then."""


# ---------------------------------------------------------------------------------- About page

EVIDENCE_POINTS: tuple[tuple[str, str, str], ...] = (
    (
        'Three approaches last differently: more of the same with the grant "may boost '
        'performance in the short term but is not sustainable".',
        "000:90-93",
        "may boost performance in the short term but is not sustainable",
    ),
    (
        'Government assumed "the real barrier to improvement in local government is the will '
        'to improve"; the evaluators found capacity, time and resources.',
        "001:87-89",
        "the real barrier to improvement in local government is the will to improve",
    ),
    (
        '"Reward grant was generally the condition for participation", but the grant up front '
        "did most to enable improvement.",
        "001:91",
        "reward grant was generally the condition for participation",
    ),
    (
        "Stretch was sometimes \"a 'shot in the dark' on both sides\".",
        "001:77",
        "a 'shot in the dark' on both sides",
    ),
    (
        'Problems came from "staff turnover coupled with absence of handover procedures".',
        "001:93",
        "staff turnover coupled with absence of handover procedures",
    ),
    (
        'Services often did not plan how to meet a target "until after the agreement was signed".',
        "000:359",
        "until after the agreement was signed",
    ),
    (
        'Partnership targets were those "with which authorities are having the most difficulty".',
        "001:105",
        "with which authorities are having the most difficulty",
    ),
    (
        'If "government priorities shift to focus on burglary", the police switch too.',
        "000:173",
        "government priorities shift to focus on burglary",
    ),
    (
        'Cash-strapped councils use the money "to fill short term resource gaps and fire-fight".',
        "000:133",
        "to fill short term resource gaps and fire-fight",
    ),
    (
        'Systemic changes "may be irreversible"; raised expectations may make falling back '
        "unacceptable.",
        "000:290",
        "may be irreversible",
    ),
    (
        'Broken promises on freedoms were "more damaging to improvements than outright refusals".',
        "001:81",
        "more damaging to improvements than outright refusals",
    ),
    (
        '"Only around one third of innovations translate into tangible improvements", and '
        "even these often dip first.",
        "003:739",
        "only around one third of innovations translate into tangible improvements",
    ),
    (
        '"Most councils have made no commitment on how PRG will be spent".',
        "000:385",
        "most councils have made no commitment on how PRG will be spent",
    ),
    (
        'Part-way through, case-study councils judged "roughly 40% of targets" met or almost '
        "certain, and a quarter likely missed.",
        "001:127",
        "roughly 40% of targets",
    ),
    (
        'Ratings slip back while the whole rises: in adult social care "25 councils improving '
        'their star rating and 16 falling".',
        "003:418",
        "25 councils improving their star rating and 16 falling",
    ),
    (
        'The evaluators expected to show that the LPSA contributed, "but not how much".',
        "001:133",
        "but not how much",
    ),
)
"""(claim quoting its source, evidence code, the words quoted), for the About page."""

_QUARTER_ORDER = (
    "Departments may move national priority between indicators.",
    "Partners set their effort, following their own department.",
    "Broken promises of freedoms fall due and cost trust.",
    "Councils may meet cuts to their mainstream budgets.",
    "Champions leave, hand over or are replaced.",
    "Councils within their three years work on their targets.",
    "After the end, the corporate centre moves on and gains fall back.",
    "True outcomes move, and councils report their figures.",
    "Agreements ending now are assessed; councils decide what to keep funding.",
    "Reward is paid, and part of it goes back into the targets.",
    "At each year's end, inspectors rate every council.",
)


def _glossary_table() -> str:
    rows = "\n".join(f"| **{term}** | {meaning} |" for term, meaning in GLOSSARY.items())
    return "| Term | Meaning |\n|---|---|\n" + rows


def _evidence_list() -> str:
    return "\n".join(f"- {claim.rstrip('.')} ({code})." for claim, code, _ in EVIDENCE_POINTS)


def _label(mechanism: str) -> str:
    return MECHANISM_LABELS[mechanism][0]


def _quarter_list() -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(_QUARTER_ORDER, start=1))


ABOUT_MARKDOWN = f"""\
## What is it?

A model of England's Local Public Service Agreements (LPSAs), 2001 to 2008. Each council agreed
about a dozen stretch targets with central government for three years, with a pump-priming grant
up front and a reward to earn at the end. The model follows every upper-tier council from
negotiation to at least five years after the money stops, and asks the evaluators' question: what
is left once the agreement is over?

## How it works

There are three kinds of agent. **Councils** sign or decline, choose how to tackle each target,
appoint champions and decide what to keep funding. **Departments** own the targets, answer
requests for freedoms and move national priorities. **Partners**, such as the police, work on
shared targets and follow their own department.

Each step is one quarter, in this order:

{_quarter_list()}

Each target is tackled in one of three ways, which last differently once the money stops:

- **Systemic change** alters how the service works. When it works, most of the gain stays without
  extra money; real innovation often dips first and fails more often than not.
- **New ways of working** carry ongoing costs, so the gain lasts only while someone pays.
- **More of the same** buys extra activity with the grant. It rises fast and falls back most.

Affluent, risk-tolerant councils with time to think lean to systemic change; cash-strapped
councils and targets about one group of people lean to more of the same.

## Things to notice

- Performance rises for three years and sags after the end, but not all the way back.
- Systemic change that worked barely falls; more of the same falls most.
- Shared targets lag, and suffer most when priorities shift.
- Star ratings move both ways every year, even while the average rises.
- Reported figures can run ahead of true ones while reward is at stake.

## Things to try

- Move money from reward to pump-priming grant on the same seed. Which meets more targets, and
  which keeps more?
- Raise staff turnover, then switch off "{_label("champions_turnover")}".
- Make councils cash-strapped, then affluent, and watch the mix of approaches change.
- Switch off "{_label("systemic_persistence")}".
- Switch off "{_label("capacity_constraint")}": government's own theory, where only will
  matters.

## What the evidence says

Codes give document and line: 000 sustainability workshop, 001 interim evaluation, 002 pilot
negotiations, 003 review of how councils improve, 004 Kent and Middlesbrough.

{_evidence_list()}

## Glossary

{_glossary_table()}

## Limits

- The evidence is mostly words and a few figures. Most of the model's settings are not pinned
  down by it, so its numbers are illustrations, not forecasts.
- It reproduces a few reported patterns, such as the midway forecast, but other settings could
  too.
- Councils do not learn from each other, and the rules do not change during a run.
- Use it to ask "what if?" and "why?" in the room, not "how much?".
"""
"""The About page, in the style of NetLogo's Info tab (Markdown, tables extension)."""


def about_html() -> str:
    """The About page as HTML."""
    return markdown.markdown(ABOUT_MARKDOWN, extensions=["tables"])


__all__ = [
    "ABOUT_MARKDOWN",
    "EVIDENCE_POINTS",
    "GLOSSARY",
    "MECHANISM_LABELS",
    "NARRATION",
    "NARRATION_PHASES",
    "STORY_TITLES",
    "STORY_WATCH",
    "about_html",
    "missing_mechanism_labels",
]
