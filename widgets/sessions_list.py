"""File ▸ Sessions: the sessions of a folder in a sortable table (model, title, date, steps, best metric,
size). Double-click or Open shows one; Compare overlays the curves of the selected ones. The files are
read by studio.session.catalog on a background thread, rows appearing as they are read."""
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout)

from studio.errors import SessionError
from studio.session.catalog import list_sessions, session_files
from studio.session.paths import sessions_dir

COLUMNS = ["Model", "Title", "Created", "Steps", "Best", "Size", "File"]


class _Rows(QObject):
    row = Signal(dict)
    done = Signal(int)   # the generation of the listing that ended


class _Item(QTableWidgetItem):
    """Sorts by the value behind the text (steps as numbers, not as strings)."""

    def __init__(self, text: str, key=None):
        super().__init__(text)
        self.key = text if key is None else key

    def __lt__(self, other):
        try:
            return self.key < other.key
        except TypeError:
            return str(self.key) < str(other.key)


class SessionsList(QDialog):
    openRequested = Signal(str)
    compareRequested = Signal(list)

    def __init__(self, parent=None, folder: str | Path | None = None):
        super().__init__(parent)
        self.setWindowTitle("Sessions")
        self.resize(900, 480)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Folder"))
        self.folder = QLineEdit(str(folder or sessions_dir()))
        self.folder.returnPressed.connect(self.refresh)
        top.addWidget(self.folder, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        top.addWidget(browse)
        again = QPushButton("Refresh")
        again.clicked.connect(self.refresh)
        top.addWidget(again)
        layout.addLayout(top)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.setSortingEnabled(True)
        self.table.itemDoubleClicked.connect(lambda item: self._open_row(item.row()))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        self.status = QLabel("")
        bottom.addWidget(self.status, 1)
        self.btn_open = QPushButton("Open")
        self.btn_open.clicked.connect(lambda: self._open_row(self.table.currentRow()))
        self.btn_compare = QPushButton("Compare")
        self.btn_compare.setToolTip("Overlay the curves of the selected sessions")
        self.btn_compare.clicked.connect(lambda: self.compareRequested.emit(self.selected_paths()))
        for b in (self.btn_open, self.btn_compare):
            bottom.addWidget(b)
        layout.addLayout(bottom)
        self._rows = _Rows()
        self._rows.row.connect(self._add_row)
        self._rows.done.connect(self._done)
        self._generation = 0
        self._selection_changed()
        self.refresh()

    # --- loading ---
    def refresh(self) -> None:
        """List the folder anew (a listing still running is abandoned)."""
        self._generation += 1
        generation = self._generation
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        try:
            files = session_files(self.folder.text().strip() or None)
        except SessionError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"Reading {len(files)} files…" if files else "No session files in this folder.")
        rows = self._rows

        def work():
            for row in list_sessions(files, stop=lambda: generation != self._generation):
                if generation != self._generation:
                    return
                rows.row.emit(row)
            rows.done.emit(generation)
        threading.Thread(target=work, name="sessions-list", daemon=True).start()

    def _add_row(self, row: dict) -> None:
        sorting = self.table.isSortingEnabled()
        self.table.setSortingEnabled(False)
        i = self.table.rowCount()
        self.table.insertRow(i)
        best = ""
        if "best_value" in row:
            best = f"{row['best_label']}: {row['best_value']:.4g} (step {row['best_step']:,})"
        cells = [_Item(row.get("kind", "?").upper()), _Item(row.get("title", "") or row["error"]),
                 _Item(row.get("created", "")),
                 _Item("" if row["error"] else f"{row.get('steps', 0):,}", -1 if row["error"] else row.get("steps", 0)),
                 _Item(best, row.get("best_value", float("inf"))), _Item(f"{row['size'] / 1e6:.1f} MB", row["size"]),
                 _Item(Path(row["path"]).name)]
        for c, item in enumerate(cells):
            item.setData(Qt.UserRole, row["path"])
            if row["error"]:
                item.setForeground(Qt.darkRed)
                item.setToolTip(row["error"])
            self.table.setItem(i, c, item)
        self.table.setSortingEnabled(sorting)

    def _done(self, generation: int) -> None:
        if generation == self._generation:
            self.table.setSortingEnabled(True)
            self.table.resizeColumnsToContents()
            self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
            self.status.setText(f"{self.table.rowCount()} sessions")

    # --- choosing ---
    def selected_paths(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectedItems()})
        return [self.table.item(r, 0).data(Qt.UserRole) for r in rows]

    def _selection_changed(self) -> None:
        n = len(self.selected_paths())
        self.btn_open.setEnabled(n == 1)
        self.btn_compare.setEnabled(n >= 2)

    def _open_row(self, row: int) -> None:
        if row >= 0 and self.table.item(row, 0) is not None:
            self.openRequested.emit(self.table.item(row, 0).data(Qt.UserRole))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Sessions folder", self.folder.text())
        if folder:
            self.folder.setText(folder)
            self.refresh()
