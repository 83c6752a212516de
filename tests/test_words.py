"""The dashboard's words (viz/words.py): what a room of officers reads must be complete, plain and
traceable to the evidence."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lpsa.model.scenario import Mechanisms
from lpsa.viz import wiring, words
from lpsa.viz.words import (
    ABOUT_MARKDOWN,
    EVIDENCE_POINTS,
    GLOSSARY,
    MECHANISM_LABELS,
    NARRATION,
    NARRATION_PHASES,
    STORY_PHASES,
    STORY_TITLES,
    STORY_WATCH,
    about_html,
    missing_mechanism_labels,
)

SEEDS = Path(__file__).parents[2] / "shared" / "seeds"
STORIES = set(wiring.STORIES)
PHASES_OF_A_STORY = ("negotiation", "implementation", "end", "follow_up", "finished")
CODE = re.compile(r"\b(\d{3}):(\d+)(?:-(\d+))?")
ABOUT_SECTIONS = [
    "What is it?",
    "How it works",
    "Things to notice",
    "Things to try",
    "What the evidence says",
    "Glossary",
    "Limits",
]


def screen_texts() -> list[tuple[str, str]]:
    """(where, text) for everything the main screen may show."""
    out = []
    for name, (label, off) in MECHANISM_LABELS.items():
        out += [(f"label of {name}", label), (f"off-sentence of {name}", off)]
    out += [(f"title of {k}", v) for k, v in STORY_TITLES.items()]
    out += [(f"watch of {k}", v) for k, v in STORY_WATCH.items()]
    out += [(f"narration {k}/{p}", v) for k, d in NARRATION.items() for p, v in d.items()]
    out += [(f"glossary {k}", f"{k} {v}") for k, v in GLOSSARY.items()]
    out += [(f"phase {k}", v) for k, v in STORY_PHASES.items()]
    return out


def seed_file(number: str) -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"evidence documents not found at {SEEDS}")
    found = sorted(SEEDS.glob(f"{number}_*.txt"))
    assert len(found) == 1, f"evidence file {number} should exist once in {SEEDS}, found {found}"
    return found[0]


def cited_lines(code: str) -> list[str]:
    """The lines a code such as ``000:90-93`` points at; fails if any is past the file's end."""
    number, first, last = CODE.fullmatch(code).groups()
    first, last = int(first), int(last or first)
    assert 1 <= first <= last, f"{code}: a range must run forwards from line 1"
    lines = seed_file(number).read_text(encoding="utf-8").splitlines()
    assert last <= len(lines), f"{code}: file {number} has only {len(lines)} lines"
    return lines[first - 1 : last]


def plain(text: str) -> str:
    """Lower case, straight quotes, single spaces: for finding a quotation in a source."""
    text = text.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"')
    return " ".join(text.replace("\u201d", '"').lower().split())


# ------------------------------------------------------------------ mechanisms


def test_every_mechanism_switch_has_a_label_and_no_label_is_stale():
    assert missing_mechanism_labels() == []
    assert set(MECHANISM_LABELS) == set(Mechanisms.model_fields)


def test_mechanism_labels_are_unique_short_and_say_what_off_means():
    labels = [label.lower() for label, _ in MECHANISM_LABELS.values()]
    assert len(set(labels)) == len(labels), "two switches share a label"
    offs = [off for _, off in MECHANISM_LABELS.values()]
    assert len(set(offs)) == len(offs), "two switches share an off-sentence"
    for name, (label, off) in MECHANISM_LABELS.items():
        assert 0 < len(label) <= 40, f"{name}: label longer than 40 characters"
        assert 0 < len(off) <= 120, f"{name}: off-sentence longer than 120 characters"
        assert off.endswith("."), f"{name}: off-sentence is not a sentence"
        assert len(re.findall(r"[.!?](?:\s|$)", off)) == 1, f"{name}: more than one sentence"


# ------------------------------------------------------------------ stories and phases


def test_every_story_has_a_short_title_and_something_to_watch():
    assert set(STORY_TITLES) == STORIES
    assert set(STORY_WATCH) == STORIES
    assert set(NARRATION) == STORIES
    for key, title in STORY_TITLES.items():
        assert 0 < len(title) <= 45, f"{key}: title longer than 45 characters"
    for key, watch in STORY_WATCH.items():
        assert 1 <= len(re.findall(r"[.!?](?:\s|$)", watch)) <= 2, f"{key}: one or two sentences"


def test_every_story_narrates_all_five_phases():
    assert NARRATION_PHASES == PHASES_OF_A_STORY
    for key, phases in NARRATION.items():
        assert tuple(phases) == PHASES_OF_A_STORY, f"{key}: phases missing, extra or out of order"
        for phase, text in phases.items():
            assert text.strip(), f"{key}/{phase} is empty"
            assert len(re.findall(r"[.!?](?:\s|$)", text)) <= 3, f"{key}/{phase} is too long"


def test_the_end_says_plainly_that_the_money_stops_and_the_finish_asks_the_room():
    for key, phases in NARRATION.items():
        assert "money stops" in phases["end"].lower(), f"{key}: the end must say the money stops"
        assert "?" in phases["finished"], f"{key}: the finish should put a question to the room"


def test_every_phase_of_a_story_has_a_heading():
    assert set(STORY_PHASES) == set(PHASES_OF_A_STORY)


# ------------------------------------------------------------------ plain words on screen


@pytest.mark.parametrize("where,text", screen_texts(), ids=lambda x: x[:40])
def test_screen_text_has_no_internal_names_or_evidence_codes(where, text):
    assert "_" not in text, f"{where} shows an internal name: {text!r}"
    assert not CODE.search(text), f"{where} shows an evidence code: {text!r}"
    assert "`" not in text and "<" not in text, f"{where} shows markup: {text!r}"


def test_glossary_defines_every_term_the_trainer_needs_in_one_or_two_sentences():
    needed = [
        "LPSA",
        "Stretch target",
        "Stretch",
        "Pump-priming grant (PPG)",
        "Reward grant",
        "Payout floor",
        "Business as usual",
        "Gain kept",
        "More of the same",
        "New ways of working",
        "Systemic change",
        "Champion",
        "Partnership target",
        "CPA and star ratings",
        "Freedoms and flexibilities",
        "Follow-up",
    ]
    assert [t for t in needed if t not in GLOSSARY] == []
    for term, meaning in GLOSSARY.items():
        n = len(re.findall(r"[.!?](?:\s|$)", meaning))
        assert 1 <= n <= 2, f"{term}: {n} sentences"
    assert "60 per cent" in GLOSSARY["Payout floor"]


# ------------------------------------------------------------------ the About page


def test_about_page_has_its_sections_in_order():
    assert re.findall(r"^## (.+)$", ABOUT_MARKDOWN, flags=re.M) == ABOUT_SECTIONS


def test_about_page_is_short_enough_to_read():
    text = CODE.sub("", ABOUT_MARKDOWN)
    n = len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'%-]*", text))
    assert n <= 1250, f"About page has {n} words"


def test_every_evidence_code_on_the_about_page_points_at_an_existing_line():
    codes = [m.group(0) for m in CODE.finditer(ABOUT_MARKDOWN)]
    assert len(codes) >= 10, "the evidence section should cite its sources"
    for code in codes:
        assert any(line.strip() for line in cited_lines(code)), f"{code} cites only blank lines"


def test_every_quotation_is_on_the_lines_it_cites_and_shown_on_the_page():
    for claim, code, quote in EVIDENCE_POINTS:
        assert plain(quote) in plain(" ".join(cited_lines(code))), f"{quote!r} is not at {code}"
        assert plain(quote) in plain(claim), f"the claim citing {code} does not show its quote"
        assert f"({code})" in ABOUT_MARKDOWN


def test_things_to_try_name_switches_by_their_on_screen_labels():
    section = ABOUT_MARKDOWN.split("## Things to try")[1].split("## ")[0]
    named = re.findall(r'switch off "([^"]+)"', section, flags=re.I)
    assert named, "Things to try should name at least one switch"
    labels = {label for label, _ in MECHANISM_LABELS.values()}
    assert [n for n in named if n not in labels] == []


def test_about_html_is_self_contained_and_safe():
    html = about_html()
    assert "<script" not in html.lower()
    assert "http" not in html.lower()
    assert "<img" not in html.lower()
    assert "$$" not in ABOUT_MARKDOWN and "\\(" not in ABOUT_MARKDOWN, "no maths markup"
    assert not re.search(r"<[A-Za-z/]", ABOUT_MARKDOWN), "the Markdown carries no raw HTML"
    assert "<table>" in html, "the glossary renders as a table"
    assert all(f"<h2>{s}</h2>" in html for s in ABOUT_SECTIONS)
    for term in GLOSSARY:
        assert f"<strong>{term}</strong>" in html, f"glossary term {term} missing from the page"


def test_words_depends_on_nothing_in_viz_and_only_mechanisms_from_the_model():
    tree = ast.parse(Path(words.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{alias.name}" for alias in node.names}
    assert imported <= {"__future__.annotations", "markdown", "lpsa.model.scenario.Mechanisms"}
