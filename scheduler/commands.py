"""The commands behind the CLI. Each wires the pipeline steps together and returns an exit code."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from scheduler.config import Settings
from scheduler.ledger import read_ledger
from scheduler.model import Ledger


@dataclass
class CheckCommand:
    """`taizhang check`: read the ledger, assess it, print the result."""

    settings: Settings
    ledger_path: Path | None = None

    def read(self) -> Ledger:
        ledger = self.settings.ledger
        paths = (self.ledger_path,) if self.ledger_path else ledger.paths
        return read_ledger(paths, self.settings.plan.start, sheets=ledger.sheets, columns=ledger.columns)

    def run(self, today: date, fmt: str) -> int:
        ledger = self.read()
        alerts: dict[str, list[dict[str, Any]]] = {}  # filled in by the warning rules
        if fmt == "json":
            from scheduler.render import write_check_json

            write_check_json(sys.stdout, today, ledger, alerts)
        else:
            from scheduler.render import check_table

            check_table(_console(), today, ledger, alerts)
        return 0


def _console() -> Any:
    from rich.console import Console

    # Piped into a file, rich would assume 80 columns and fold Chinese text badly.
    return Console(width=None if sys.stdout.isatty() else 140, highlight=False)
