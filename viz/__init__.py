"""Browser dashboard for trainers (Mesa SolaraViz). Start with ``python run.py dashboard``."""
