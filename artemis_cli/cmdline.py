"""One help style for every command: plain Click layout, clean usage lines.

Typer 0.29 renders required arguments as ``{SERVICE_ID}`` in usage lines and adds type labels such as
``<str>``, ``<list[str]>`` or ``<int range>`` to help rows. Every group of ``artemis`` is built by
:func:`group_app`, whose group class turns its commands' parameters into :class:`CleanArgument` /
:class:`CleanOption`: usage reads ``artemis instance pull-out [OPTIONS] SERVICE_ID INSTANCE_ID...``, optional
arguments are ``[NAME]``, options show their metavar (``--ip IP``) and choices as ``[a|b]``.

Only typer is imported here (``artemis --help`` must stay fast).
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption


def _bare(name: str) -> str:
    return name.strip().strip("[]{}").removesuffix("...").strip("[]{}")


class CleanArgument(TyperArgument):
    """An argument shown by its metavar only: ``NAME``, ``[NAME]``, ``NAME...``."""

    def _label(self) -> str:
        name = _bare(self.metavar or (self.name or "").upper())
        return name + ("..." if self.nargs != 1 else "")

    def _usage_display_name(self) -> str:
        label = self._label()
        return label if self.required else f"[{label}]"

    def _rich_display_name(self) -> str:
        return self._label()

    def display_type(self, ctx: Any) -> str:
        desc = self.type_descriptor
        if desc.is_choice and desc.choices is not None:
            return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"
        return ""

    def _get_number_range_help_str(self) -> str | None:
        return None


class CleanOption(TyperOption):
    """An option shown with its metavar (``--ip IP``) or its choices (``--type [physical|logical]``)."""

    def display_type(self, ctx: Any) -> str:
        desc = self.type_descriptor
        if desc.is_choice and desc.choices is not None:
            return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"
        return (self.name or "value").upper()

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return self.metavar
        return self.display_type(ctx)

    def _get_number_range_help_str(self) -> str | None:
        return None


def tidy(cmd: Any) -> Any:
    """Give ``cmd``'s parameters (and those of its sub-commands) the clean help style."""
    for p in getattr(cmd, "params", []):
        if type(p) is TyperArgument:
            p.__class__ = CleanArgument
        elif type(p) is TyperOption:
            p.__class__ = CleanOption
    for sub in (getattr(cmd, "commands", None) or {}).values():
        tidy(sub)
    return cmd


class CleanGroup(TyperGroup):
    """A command group whose commands use the clean help style."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        tidy(self)


def lazy_parser(name: str, *args: Any) -> Any:
    """``artemis_cli.validate.<name>(*args)`` as a Typer parser, imported only when a value is parsed: the
    root options and login/logout are built for every `artemis --help`."""

    def parse(value: Any) -> Any:
        from artemis_cli import validate

        return getattr(validate, name)(*args)(value)

    return parse


def group_app(help: str) -> typer.Typer:
    """A command group of ``artemis``: plain help layout (no Rich panels), help when called bare."""
    return typer.Typer(cls=CleanGroup, no_args_is_help=True, rich_markup_mode=None, help=help)
