"""A command line that helps a new user: a misspelt command, option or scenario is answered with
the one meant, and a scenario given where an experiment is expected (or the reverse) is named as
such. Each is one line and exit status 2, before anything runs."""

from __future__ import annotations

import argparse

import pytest

from lpsa.experiments.arguments import Parser
from lpsa.experiments.cli import SUBCOMMANDS


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_a_misspelt_command_is_answered_with_the_command_meant(lpsa):
    done = lpsa("comapre", "ppg_heavy", "reward_heavy")
    assert done.returncode == 2
    assert "did you mean compare?" in last_line(done.stderr)


@pytest.mark.parametrize(
    ("args", "meant"),
    [
        (["--seeed", "3"], "--seed"),
        (["sweep", "ppg_vs_reward", "--wrkers", "2"], "--workers"),
        (["validate", "--replicatoins", "3"], "--replications"),
    ],
)
def test_a_misspelt_option_is_answered_with_the_option_meant(lpsa, args, meant):
    done = lpsa(*args)
    assert done.returncode == 2
    assert last_line(done.stderr).endswith(f"did you mean {meant}?")


def test_a_misspelt_scenario_is_answered_with_the_shipped_scenario_meant(lpsa):
    done = lpsa("ppg_heavvy")
    assert done.returncode == 2
    assert "ppg_heavvy: scenario file not found; did you mean ppg_heavy?" in done.stderr


def test_a_misspelt_experiment_is_answered_with_the_shipped_experiment_meant(lpsa):
    done = lpsa("sweep", "ppg_vs_rewrd")
    assert done.returncode == 2
    assert "experiment file not found; did you mean ppg_vs_reward?" in done.stderr


def test_an_experiment_given_as_a_scenario_is_named_with_the_command_that_runs_it(lpsa):
    done = lpsa("ppg_heavy", "ppg_vs_reward")
    assert done.returncode == 2
    line = last_line(done.stderr)
    assert "ppg_vs_reward: an experiment file, not a scenario" in line
    assert "lpsa sweep ppg_vs_reward" in line


def test_a_scenario_given_as_an_experiment_is_named_with_the_command_that_runs_it(lpsa):
    done = lpsa("sweep", "reward_heavy")
    assert done.returncode == 2
    assert "reward_heavy: a scenario, not an experiment file" in done.stderr
    assert "'lpsa reward_heavy'" in done.stderr


def test_a_shipped_experiment_is_found_by_its_bare_name(lpsa, tmp_path):
    # refused by its size, which needs the file found and read first
    done = lpsa("sweep", "ppg_vs_reward", "--max-runs", "10", "--out", str(tmp_path / "s"))
    assert done.returncode == 2
    assert "ppg_vs_reward.yaml: 11 points x 50 replications = 550 runs" in done.stderr


def test_nothing_close_gets_no_suggestion(lpsa):
    done = lpsa("zzzzzz")
    assert done.returncode == 2
    assert "did you mean" not in done.stderr
    assert "zzzzzz: scenario file not found" in done.stderr


def parsers_of(command: list[str], monkeypatch, capsys) -> list[argparse.ArgumentParser]:
    """The argument parsers ``lpsa COMMAND --help`` builds (the help is printed, nothing runs)."""
    from lpsa.experiments.cli import main

    seen: list[argparse.ArgumentParser] = []
    parse = argparse.ArgumentParser.parse_known_args

    def spy(self, *args, **kwargs):
        seen.append(self)
        return parse(self, *args, **kwargs)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", spy)
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    capsys.readouterr()
    return seen


@pytest.mark.parametrize("command", ["", *SUBCOMMANDS])
def test_every_option_of_every_command_has_help_text_under_one_program_name(
    command, monkeypatch, capsys
):
    (parser,) = parsers_of([command] if command else [], monkeypatch, capsys)
    assert parser.prog == " ".join(["lpsa", command]).strip()
    unexplained = [a.option_strings or a.dest for a in parser._actions if not a.help]
    assert not unexplained
    assert isinstance(parser, Parser)  # and so it answers a misspelt option
