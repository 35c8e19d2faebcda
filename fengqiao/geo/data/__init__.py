"""Public reference data shipped with the package (see SOURCES.md for origins and licences)."""

from pathlib import Path

WUZHONG = Path(__file__).resolve().parent / "wuzhong"
