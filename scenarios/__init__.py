"""Shipped scenario files (package data): ``SCENARIO_DIR`` is where they are, installed or not."""

from pathlib import Path

SCENARIO_DIR = Path(__file__).resolve().parent
