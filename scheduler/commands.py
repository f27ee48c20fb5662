"""The commands behind the CLI. Each wires the pipeline steps together and returns an exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from scheduler import pipeline
from scheduler.config import Settings
from scheduler.store import Store


@dataclass
class Command:
    settings: Settings
    today: date
    ledger_path: Path | None = None

    @contextmanager
    def history(self) -> Iterator[Store | None]:
        """The store, if snapshots were ever taken; reading commands never create it."""
        store = Store.open_existing(self.settings.store.path)
        try:
            yield store
        finally:
            if store is not None:
                store.close()

    def assessment(self, store: Store | None) -> pipeline.Assessment:
        ledger = pipeline.read(self.settings, self.ledger_path)
        return pipeline.assess(self.settings, ledger, self.today, store)


@dataclass
class CheckCommand(Command):
    """`taizhang check`: read the ledger, assess it, print tasks, warnings and problems."""

    def run(self, fmt: str) -> int:
        with self.history() as store:
            assessment = self.assessment(store)
        from scheduler import render

        if fmt == "json":
            render.write_check_json(sys.stdout, assessment)
        else:
            render.check_table(_console(), assessment)
        return 0


@dataclass
class SnapshotCommand(Command):
    """`taizhang snapshot`: store the state of every task on the day."""

    def run(self) -> int:
        with Store.open(self.settings.store.path) as store:
            snapshot = pipeline.save_snapshot(store, self.assessment(store), self.settings)
        from scheduler.render import chinese_date

        print(f"已保存{chinese_date(snapshot.day)}的快照：{len(snapshot.tasks)} 项任务。")  # noqa: T201
        return 0


@dataclass
class WeekCommand(Command):
    """`taizhang week`: figures by section and the changes since last week."""

    def run(self, fmt: str) -> int:
        with self.history() as store:
            week = pipeline.week(self.settings, self.assessment(store), store)
        from scheduler import render

        if fmt == "json":
            sys.stdout.write(render.week_json(week) + "\n")
        else:
            render.week_table(_console(), week)
        return 0


def _console() -> Any:
    from rich.console import Console

    # Piped into a file, rich would assume 80 columns and fold Chinese text badly.
    return Console(width=None if sys.stdout.isatty() else 140, highlight=False)
