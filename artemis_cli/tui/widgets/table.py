"""DataTable whose rows are keyed by identity and updated in place (cells diffed, never rebuilt)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from rich.cells import cell_len
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist, RowKey


class KeyedTable(DataTable[str]):
    """``upsert`` / ``drop`` / ``sync`` keep ``self.cells[key]`` equal to what is on screen and touch only the
    cells that changed, so a push event costs O(changed cells) whatever the size of the table."""

    def __init__(self, columns: Sequence[str], labels: Sequence[str], **kw: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)  # type: ignore[arg-type]
        self.column_keys = tuple(columns)
        self.labels = tuple(labels)
        self.cells: dict[str, tuple[str, ...]] = {}
        self._pending: dict[str, tuple[str, ...]] = {}  # rows a sliced sync has still to write
        self._queue: deque[str] = deque()
        self._sliced = False
        self._changed = False
        self._keep: str | None = None
        self._then: Callable[[bool], object] | None = None
        self._gen = 0

    def on_mount(self) -> None:
        if not self.columns:
            for key, label in zip(self.column_keys, self.labels, strict=True):
                self.add_column(label, key=key)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Textual measures new rows at the table's next idle; a row drawn before that was rendered with the
        old column widths and DataTable keeps that rendering in its caches (keyed by an update count the
        measuring does not bump: textual#4470), so "10.0.1.1:8080" stayed drawn "10.0.1." until the next
        change. When the measuring widens a column, the caches are dropped and the table redrawn."""
        before = [c.content_width for c in self.columns.values()]
        super()._update_dimensions(new_rows)
        if [c.content_width for c in self.columns.values()] != before:
            self._clear_caches()
            self._update_count += 1
            self.refresh()

    def upsert(self, key: str, cells: tuple[str, ...]) -> bool:
        """Add the row or update the cells that differ. True when something changed. A row still queued by
        a sliced :meth:`sync` is superseded (this value is newer); a new one keeps its place in the queue, so
        rows arrive in the sync's order."""
        if key in self._pending and key not in self.cells:
            self._pending[key] = cells
            return True
        self._pending.pop(key, None)
        return self._upsert(key, cells)

    def _upsert(self, key: str, cells: tuple[str, ...]) -> bool:
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
        self._pending.pop(key, None)
        if self.cells.pop(key, None) is None:
            return False
        try:
            self.remove_row(key)
        except RowDoesNotExist:
            pass
        return True

    REBUILD_AT = 200  # DataTable.remove_row is O(rows): past this many removals one rebuild is cheaper
    SLICE_AT = 1000  # more rows to add or update than this: applied over several turns of the event loop
    SLICE_SECS = 0.02
    SLICE_ROWS = 300  # at most this many rows per slice: DataTable measures each slice's new rows in one go

    def sync(
        self, rows: Iterable[tuple[str, tuple[str, ...]]], then: Callable[[bool], object] | None = None
    ) -> None:
        """Make the table equal to ``rows`` (key, cells) with the fewest row operations, then call
        ``then(changed)``.

        Used for loads, reconciliations and filter changes (not per push event). When many rows go away at
        once (a filter, a mass unregister) the table is rebuilt in one pass, keeping the cursor on its row.
        More than :attr:`SLICE_AT` rows to write are written in ~20 ms slices with the loop free between them
        (opening a 10,000-instance service was one 3-4 s frame, benchmarks/tui_frames.py); the rows not
        written yet are :attr:`pending`, and an ``upsert`` / ``drop`` meanwhile supersedes them."""
        wanted = dict(rows)
        gone = [k for k in self.cells if k not in wanted]
        self._keep = None
        if len(gone) > self.REBUILD_AT:
            self._keep = self.selected_key()
            self.clear()
            self.cells = {}
            changed = True
        else:
            changed = sum(self.drop(key) for key in gone) > 0  # every one dropped
        self._pending = {k: c for k, c in wanted.items() if self.cells.get(k) != c}
        self._queue = deque(self._pending)
        self._sliced = len(self._pending) > self.SLICE_AT
        self._changed = changed
        self._then = then
        self._gen += 1
        self._drain(self._gen)

    @property
    def pending(self) -> int:
        """Rows a sliced :meth:`sync` has still to write."""
        return len(self._pending)

    def _drain(self, gen: int) -> None:
        if gen != self._gen or not self.is_attached:
            return  # a newer sync took over, or the table is gone
        deadline = time.perf_counter() + self.SLICE_SECS
        n = 0
        while self._queue:
            key = self._queue.popleft()
            cells = self._pending.pop(key, None)
            if cells is None:
                continue  # written meanwhile by upsert / drop
            self._changed |= self._upsert(key, cells)
            n += 1
            if self._sliced and n % 100 == 0 and (n >= self.SLICE_ROWS or time.perf_counter() > deadline):
                # next slice from the event loop, not this widget's queue: the table goes idle in between,
                # which is when DataTable measures new rows (a queued call kept it busy until the last
                # slice, then 10,000 rows were measured in one 2-3 s frame)
                asyncio.get_running_loop().call_later(0.001, self._drain, gen)
                return
        self._pending.clear()
        if self._keep is not None and self._keep in self.cells:
            self.move_cursor(row=self.get_row_index(self._keep), animate=False)
        self._keep = None
        then, self._then = self._then, None
        if then is not None:
            then(self._changed)

    def on_unmount(self) -> None:
        """The table is going away (a closed Instances screen): its rows are dropped here, so reference
        counting can free them rather than the garbage collector's pass over the widgets' cycles."""
        self._gen += 1
        self._pending.clear()
        self._queue.clear()
        self.cells = {}
        self.clear()

    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return None if row_key.value is None else str(row_key.value)
