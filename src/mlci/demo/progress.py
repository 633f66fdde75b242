"""What the demo prints while it plays: chapter and step headings, the indented output of
the commands it runs, and whether each expectation held. Colours only on a terminal; plain
lines otherwise (rich drops the styles when output is not a TTY)."""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.markup import escape


class Progress:
    def __init__(self, stream: TextIO | None = None) -> None:
        out = stream or sys.stdout
        # Wide enough for the summary tables when the output is a file or a pipe.
        width = None if out.isatty() else 160
        self.console = Console(file=out, highlight=False, soft_wrap=True, width=width)

    def chapter(self, title: str) -> None:
        self.console.print()
        self.console.print(f"[bold cyan]== {escape(title)}[/]")

    def step(self, text: str) -> None:
        self.console.print(f"[bold]-> {escape(text)}[/]")

    def output(self, line: str) -> None:
        self.console.print(f"[dim]   {escape(line)}[/]")

    def note(self, text: str) -> None:
        self.console.print(f"   {escape(text)}")

    def held(self, text: str) -> None:
        self.console.print(f"   [green]ok[/] {escape(text)}")

    def broken(self, text: str) -> None:
        self.console.print(f"   [bold red]EXPECTATION FAILED[/] {escape(text)}")

    def plain(self, text: str = "") -> None:
        self.console.print(text, markup=False)
