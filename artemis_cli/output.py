"""Everything the CLI prints. The only CLI module that imports rich (lazily, so `--help` stays fast).

Results go to stdout in the chosen format; messages, warnings, errors and spinners go to stderr.

* ``table`` - Rich table (colour only on a terminal and without NO_COLOR / --no-color)
* ``wide``  - the table with the extra columns
* ``json``  - exactly one JSON document (camelCase keys, as on the wire), for jq and scripts
* ``yaml``  - the same document as YAML
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

FORMATS = ("table", "json", "yaml", "wide")

Getter = str | Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Col:
    header: str
    get: Getter
    wide: bool = False  # shown only with -o wide
    style: str | None = None


def _value(row: Any, get: Getter) -> Any:
    if callable(get):
        return get(row)
    cur = row
    for part in get.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif hasattr(cur, "__struct_fields__"):  # a wire Struct (or a CLI view): the wire name, camelCase
            cur = getattr(cur, _snake(part), None)
        else:
            return None
    return cur


def _snake(camel: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)


def plain(data: Any) -> Any:
    """``data`` with every wire Struct (and CLI view) turned into JSON values as the wire writes them:
    camelCase keys, fields at their default left out."""
    import msgspec

    return msgspec.to_builtins(data)


def cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, dict):
        return ",".join(f"{k}={x}" for k, x in v.items()) or "-"
    if isinstance(v, list | tuple):
        return ",".join(cell(x) for x in v) or "-"
    return str(v)


def default_format(stdout_tty: bool | None = None) -> str:
    env = os.environ.get("ARTEMIS_OUTPUT")
    if env:
        return env
    tty = sys.stdout.isatty() if stdout_tty is None else stdout_tty
    return "table" if tty else "json"


class Output:
    def __init__(
        self, fmt: str | None = None, *, color: bool = True, quiet: bool = False, verbose: bool = False
    ) -> None:
        self.fmt = fmt or default_format()
        if self.fmt not in FORMATS:
            raise ValueError(self.fmt)
        self.color = color and not os.environ.get("NO_COLOR")
        self.quiet = quiet
        self.verbose = verbose

    # -- stderr -----------------------------------------------------------------------------------------
    def _err_console(self) -> Any:
        from rich.console import Console

        return Console(
            file=sys.stderr,
            no_color=not self.color,
            highlight=False,
            soft_wrap=True,
            force_terminal=None if self.color else False,
        )

    def message(self, text: str) -> None:
        """Informational line on stderr (hidden by -q)."""
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)

    def warn(self, text: str) -> None:
        print(f"warning: {text}", file=sys.stderr, flush=True)

    def debug(self, text: str) -> None:
        if self.verbose:
            print(f"debug: {text}", file=sys.stderr, flush=True)

    @staticmethod
    def error(text: str) -> None:
        """One line on stderr, always."""
        line = " ".join(str(text).split())
        print(f"error: {line}", file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def spinner(self, text: str) -> Iterator[None]:
        """A spinner on stderr, only when stderr is a terminal (never in pipes or scripts)."""
        if self.quiet or not sys.stderr.isatty():
            yield
            return
        with self._err_console().status(text):
            yield

    # -- stdout -----------------------------------------------------------------------------------------
    @property
    def structured(self) -> bool:
        return self.fmt in ("json", "yaml")

    def document(self, data: Any) -> None:
        """Write ``data`` as one JSON / YAML document."""
        data = plain(data)
        if self.fmt == "yaml":
            import yaml

            sys.stdout.write(
                yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
            )
        else:
            sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def json_line(self, data: Any) -> None:
        """One compact JSON document per line (streams: `instance watch -o json`)."""
        data = plain(data)
        sys.stdout.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    def line(self, text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def _out_console(self) -> Any:
        from rich.console import Console

        # in a pipe or a file, do not wrap cells at an invented 80 columns: the table is as wide as its data
        width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 4000
        return Console(
            file=sys.stdout,
            no_color=not self.color,
            highlight=False,
            width=width,
            force_terminal=None if self.color else False,
        )

    def table(
        self,
        rows: Sequence[Any],
        cols: Sequence[Col],
        *,
        data: Any = None,
        title: str | None = None,
        empty: str | None = None,
    ) -> None:
        """Print ``rows`` as a table, or ``data`` (default: ``rows``) as a document in json/yaml."""
        if self.structured:
            self.document(list(rows) if data is None else data)
            return
        if not rows:
            if empty:
                self.message(empty)
            return
        from rich import box
        from rich.table import Table

        wide = self.fmt == "wide"
        use = [c for c in cols if wide or not c.wide]
        t = Table(
            box=box.SIMPLE_HEAD,
            title=title,
            show_edge=False,
            pad_edge=False,
            header_style="bold" if self.color else None,
        )
        for c in use:
            t.add_column(c.header, style=c.style if self.color else None, overflow="fold")
        for r in rows:
            t.add_row(*(cell(_value(r, c.get)) for c in use))
        self._out_console().print(t)

    def record(self, data: Any, fields: Sequence[Col], *, title: str | None = None) -> None:
        """One object: key/value lines on a terminal, the object itself in json/yaml."""
        if self.structured:
            self.document(data)
            return
        from rich import box
        from rich.table import Table

        wide = self.fmt == "wide"
        t = Table(box=box.SIMPLE, show_header=False, title=title, show_edge=False, pad_edge=False)
        t.add_column("field", style="bold" if self.color else None)
        t.add_column("value", overflow="fold")
        for c in fields:
            if c.wide and not wide:
                continue
            t.add_row(c.header, cell(_value(data, c.get)))
        self._out_console().print(t)

    def done(self, data: Any, text: str) -> None:
        """Result of a state change: the document in json/yaml, a sentence on a terminal."""
        if self.structured:
            self.document(data)
        else:
            self.line(text)
