"""Where the project lives: every path the code builds starts here."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
