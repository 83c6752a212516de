"""Browser dashboard for trainers (Solara). Start with ``lpsa dashboard``."""
