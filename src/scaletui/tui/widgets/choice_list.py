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


def list_rows(screen_height: int, status_rows: int) -> int:
    """How tall a dialog's list may be (its border included) with the dialog's title,
    status lines and key line still on screen: the dialog takes 90% of the height, or all
    of it below 28 rows, where it also drops its vertical padding (styles.tcss)."""
    short = screen_height < SHORT_HEIGHT
    dialog = screen_height if short else int(screen_height * 0.9)
    chrome = 2 + (0 if short else 2) + 2 + status_rows + 2  # border, padding, title, status, key line
    return dialog - chrome


SHORT_HEIGHT = 28  # below this the App is "-short" and dialogs drop their vertical padding
