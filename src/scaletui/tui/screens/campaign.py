"""The campaign: every scenario with its concept, difficulty and best stars."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from scaletui.game.progress import Progress
from scaletui.scenario.campaign import builtin_names, builtin_path
from scaletui.scenario.errors import ScenarioError
from scaletui.scenario.load import load_scenario
from scaletui.tui.palette import palette_of


class CampaignScreen(Screen):
    BINDINGS = [
        Binding("enter", "open", "Play"),
        Binding("s", "sandbox", "Sandbox"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
    ]

    class LevelChosen(Message):
        """The player picked a level (a built-in name); the App opens its brief."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, progress: Progress, select: str | None = None) -> None:
        super().__init__()
        self.progress = progress
        self.select = select  # the level to put the cursor on (the one just played)

    def compose(self) -> ComposeResult:
        yield Static(" scaletui · from one server to millions of users", id="title")
        yield Static(
            "Keep a web service alive through surges and failures. Each level teaches one idea of the "
            "scaling playbook. Pick one and press enter.",
            id="intro",
        )
        yield DataTable(id="levels", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_rows()
        table = self.query_one(DataTable)
        names = builtin_names()
        if self.select in names:
            table.move_cursor(row=names.index(self.select))
        else:
            table.move_cursor(row=self._first_unfinished(names))
        table.focus()

    def _first_unfinished(self, names: list[str]) -> int:
        """The first level without three stars: where a returning player goes on."""
        for i, name in enumerate(names):
            best = self.progress.best(name)
            if best is None or best[0] < 3:
                return i
        return 0

    def on_screen_resume(self) -> None:
        self.refresh_rows()

    def refresh_rows(self) -> None:
        st = palette_of(self).style  # the theme's colours for role names
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        for label, width in (("#", 3), ("scenario", 20), ("concept", 22), ("level", 6), ("best", 5)):
            table.add_column(label, width=width)
        for i, name in enumerate(builtin_names(), 1):
            try:
                sc = load_scenario(builtin_path(name))  # type: ignore[arg-type]  # the campaign's names have files
            except ScenarioError:
                table.add_row(str(i), Text(name, style=st("bad")), "(invalid file)", "", "", key=name)
                continue
            best = self.progress.best(name)
            stars = Text("★" * best[0] + "☆" * (3 - best[0]), style=st("bold warn")) if best else Text("·", style="dim")
            table.add_row(str(i), Text(sc.title, style="bold"), Text(sc.spec.concept),
                          Text("●" * sc.spec.difficulty, style=st("busy")), stars, key=name)
        if cursor is not None and 0 <= cursor < table.row_count:
            table.move_cursor(row=cursor)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open(event.row_key.value)

    def action_open(self, name: str | None = None) -> None:
        table = self.query_one(DataTable)
        if name is None:
            if table.row_count == 0:
                return
            name = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if name is not None:
            self.post_message(self.LevelChosen(name))

    def action_sandbox(self) -> None:
        self.action_open("sandbox")

    def action_help(self) -> None:
        from scaletui.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())
