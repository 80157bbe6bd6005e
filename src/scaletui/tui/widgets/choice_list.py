"""An option list that stops at its ends.

Textual's OptionList wraps from the last option to the first; in a size picker that
turns one key press too many into the smallest size, so the cursor stops instead.
"""

from __future__ import annotations

from textual.widgets import OptionList


class ChoiceList(OptionList):
    def action_cursor_down(self) -> None:
        if self.highlighted is not None and self.highlighted >= self.option_count - 1:
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.highlighted is not None and self.highlighted <= 0:
            return
        super().action_cursor_up()
