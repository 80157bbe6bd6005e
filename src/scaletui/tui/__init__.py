"""The Textual app: screens, widgets, stylesheet, command palette. The only layer that imports textual."""
