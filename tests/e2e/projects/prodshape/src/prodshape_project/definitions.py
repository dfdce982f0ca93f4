"""The code location: everything under ``defs/``."""

from pathlib import Path

import dagster as dg

defs = dg.components.load_from_defs_folder(path_within_project=Path(__file__).parent)
