"""DataTable whose rows are keyed by identity and updated in place (cells diffed, never rebuilt)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist


class KeyedTable(DataTable[str]):
    """``upsert`` / ``drop`` / ``sync`` keep ``self.cells[key]`` equal to what is on screen and touch only the
    cells that changed, so a push event costs O(changed cells) whatever the size of the table."""

    def __init__(self, columns: Sequence[str], labels: Sequence[str], **kw: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)  # type: ignore[arg-type]
        self.column_keys = tuple(columns)
        self.labels = tuple(labels)
        self.cells: dict[str, tuple[str, ...]] = {}

    def on_mount(self) -> None:
        if not self.columns:
            for key, label in zip(self.column_keys, self.labels, strict=True):
                self.add_column(label, key=key)

    def upsert(self, key: str, cells: tuple[str, ...]) -> bool:
        """Add the row or update the cells that differ. True when something changed."""
        old = self.cells.get(key)
        if old is None:
            self.add_row(*cells, key=key)
            self.cells[key] = cells
            return True
        if old == cells:
            return False
        for col, before, after in zip(self.column_keys, old, cells, strict=True):
            if before != after:
                # A value wider than its column was cut ("unreachable" drawn "unreac"); update_width
                # re-measures the table (seconds for a burst over 10,000 rows), so only when it grows.
                grow = cell_len(after) > self.columns[col].content_width  # type: ignore[index]
                self.update_cell(key, col, after, update_width=grow)
        self.cells[key] = cells
        return True

    def drop(self, key: str) -> bool:
        if self.cells.pop(key, None) is None:
            return False
        try:
            self.remove_row(key)
        except RowDoesNotExist:
            pass
        return True

    REBUILD_AT = 200  # DataTable.remove_row is O(rows): past this many removals one rebuild is cheaper

    def sync(self, rows: Iterable[tuple[str, tuple[str, ...]]]) -> int:
        """Make the table equal to ``rows`` (key, cells) with the fewest row operations; returns changes.

        Used for loads, reconciliations and filter changes (not per push event). When many rows go away at
        once (a filter, a mass unregister) the table is rebuilt in one pass, keeping the cursor on its row."""
        wanted = dict(rows)
        gone = sum(1 for k in self.cells if k not in wanted)
        if gone > self.REBUILD_AT:
            return self._rebuild(wanted)
        changed = 0
        for key in [k for k in self.cells if k not in wanted]:
            changed += self.drop(key)
        for key, cells in wanted.items():
            changed += self.upsert(key, cells)
        return changed

    def _rebuild(self, wanted: dict[str, tuple[str, ...]]) -> int:
        keep = self.selected_key()
        changed = len(self.cells) + len(wanted)
        self.clear()
        self.cells = {}
        for key, cells in wanted.items():
            self.add_row(*cells, key=key)
            self.cells[key] = cells
        if keep is not None and keep in self.cells:
            self.move_cursor(row=self.get_row_index(keep), animate=False)
        return changed

    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return None if row_key.value is None else str(row_key.value)
