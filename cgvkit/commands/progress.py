"""A progress bar for long runs, silent when the output is not a terminal (CI logs)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress


class Progress:
    def __init__(self, total: int, stream):
        self.total = total
        self.console = Console(file=stream)
        self.bar = None
        if self.console.is_terminal and total > 1:
            self.bar = RichProgress(TextColumn("packs"), BarColumn(), MofNCompleteColumn(),
                                    TimeRemainingColumn(), console=self.console, transient=True)
            self.task = self.bar.add_task("packs", total=total)

    def __enter__(self):
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()

    def advance(self, outcome) -> None:
        if self.bar:
            self.bar.advance(self.task)
