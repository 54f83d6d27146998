"""A small form modal (inputs and choices, validated before it closes) and the form -> confirm -> run flow
every console action uses: the confirm modal shows what the action will change before anything is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select


@dataclass(frozen=True)
class Field:
    """One form field. ``check`` returns the cleaned value or raises ValueError with a readable reason."""

    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    password: bool = False
    choices: Sequence[str] = field(default_factory=tuple)
    check: Callable[[str], str] | None = None
    required: bool = True


class FormScreen(ModalScreen[dict[str, str] | None]):
    """Fields top to bottom; Enter moves on and submits from the last field; Esc cancels. An invalid value
    keeps the form open with the reason under it (nothing is sent)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen #form-box {
        width: 80; max-width: 95%; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    FormScreen #form-title { text-style: bold; margin-bottom: 1; }
    FormScreen .form-label { color: $text-muted; }
    FormScreen #form-error { color: $error; height: auto; }
    FormScreen #form-buttons { height: auto; align-horizontal: right; }
    FormScreen #form-buttons Button { margin-left: 2; }
    """

    def __init__(self, title: str, fields: Sequence[Field], submit: str = "Next") -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.submit_label = submit

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box"):
            yield Label(self.title_text, id="form-title")
            for f in self.fields:
                yield Label(f.label, classes="form-label")
                if f.choices:
                    yield Select(
                        [(c, c) for c in f.choices],
                        value=f.value or f.choices[0],
                        allow_blank=False,
                        id=f"field-{f.name}",
                    )
                else:
                    yield Input(f.value, placeholder=f.placeholder, password=f.password, id=f"field-{f.name}")
            yield Label("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button(self.submit_label, id="form-ok", variant="primary")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#field-{self.fields[0].name}").focus()

    def values(self) -> dict[str, str]:
        """The cleaned values; raises ValueError naming the first bad field."""
        out: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            raw = str(widget.value) if isinstance(widget, Select | Input) else ""
            raw = raw.strip()
            if not raw:
                if f.required:
                    raise ValueError(f"{f.label.rstrip(':')}: required")
                out[f.name] = ""
                continue
            try:
                out[f.name] = f.check(raw) if f.check else raw
            except ValueError as exc:
                raise ValueError(f"{f.label.rstrip(':')}: {exc}") from None
        return out

    def _submit(self) -> None:
        try:
            values = self.values()
        except ValueError as exc:
            self.query_one("#form-error", Label).update(str(exc))
            return
        self.dismiss(values)

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        names = [f.name for f in self.fields]
        name = (event.input.id or "").removeprefix("field-")
        if name in names and names.index(name) < len(names) - 1:
            self.focus_next()
            return
        self._submit()

    @on(Button.Pressed, "#form-ok")
    def _ok(self) -> None:
        self._submit()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_button(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def confirm_then(
    screen: Any,
    title: str,
    lines: list[str],
    run: Callable[[], Awaitable[Any]],
    *,
    verb: str = "Confirm",
    danger: bool = True,
    done: str = "",
) -> None:
    """Show the confirm modal (Cancel focused; y confirms); when confirmed, run ``run`` in a guarded worker,
    then notify ``done`` and reload every live screen."""
    from artemis_cli.tui.screens.modals import ConfirmScreen

    dash = screen.app

    async def execute() -> None:
        await run()
        if done:
            dash.notify(done, title="Done")
        dash.resync_all()

    def answered(yes: bool | None) -> None:
        if yes:
            screen.run_guarded(execute(), title.rstrip("?").lower())

    dash.push_screen(
        ConfirmScreen(title, [*lines, f"Operator: {dash.operator}"], confirm=verb, danger=danger), answered
    )


def ask(screen: Any, title: str, fields: Sequence[Field], then: Callable[[dict[str, str]], Any]) -> None:
    """Open a form; ``then(values)`` runs when it is submitted (not when cancelled)."""

    def answered(values: dict[str, str] | None) -> None:
        if values is not None:
            then(values)

    screen.app.push_screen(FormScreen(title, fields), answered)
