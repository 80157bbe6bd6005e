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
from scaletui.scenario.load import Scenario, load_scenario
from scaletui.tui.palette import palette_of

CONCEPT_MIN_W = 10  # below this a concept column reads as nothing


def cut(text: str, width: int) -> str:
    """The text, or as much as fits in `width` with … saying it was cut."""
    return text if len(text) <= width else text[:width - 1] + "…"


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
        levels: list[tuple[str, Scenario | None]] = []
        for name in builtin_names():
            try:
                loaded = load_scenario(builtin_path(name))  # type: ignore[arg-type]  # the campaign's names have files
                levels.append((name, loaded))
            except ScenarioError:
                levels.append((name, None))
        concept_w = self._concept_width([sc.spec.concept for _, sc in levels if sc is not None], table)
        for label, width in (("#", 3), ("scenario", 20), ("concept", concept_w), ("level", 6), ("best", 5)):
            table.add_column(label, width=width)
        for i, (name, sc) in enumerate(levels, 1):
            if sc is None:
                table.add_row(str(i), Text(name, style=st("bad")), "(invalid file)", "", "", key=name)
                continue
            best = self.progress.best(name)
            stars = Text("★" * best[0] + "☆" * (3 - best[0]), style=st("bold warn")) if best else Text("·", style="dim")
            table.add_row(str(i), Text(sc.title, style="bold"), Text(cut(sc.spec.concept, concept_w)),
                          Text("●" * sc.spec.difficulty, style=st("busy")), stars, key=name)
        if cursor is not None and 0 <= cursor < table.row_count:
            table.move_cursor(row=cursor)

    def _concept_width(self, concepts: list[str], table: DataTable) -> int:
        """The longest concept, or what the screen leaves beside the other columns (each
        padded on both sides, the table's margins and its scrollbar) if that is less."""
        others = 3 + 20 + 6 + 5 + 2 * table.cell_padding * 5
        room = self.app.size.width - others - 2 - table.styles.scrollbar_size_vertical
        return max(CONCEPT_MIN_W, min(room, max(map(len, concepts), default=CONCEPT_MIN_W)))

    def on_resize(self) -> None:
        self.refresh_rows()

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
