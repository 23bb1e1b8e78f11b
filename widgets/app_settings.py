"""What the window remembers between launches, through QSettings (the Qt way): geometry and panel
arrangement, splitter sizes, the last model, each model's preset and form values, the last folders used
and the recent sessions.

Everything read back is checked for its type and shape: a corrupt file or another program's store reads
as "nothing remembered" and the app starts with its defaults. Keys live under one group, so a store
written by a future version with other keys does no harm here.
$TRAINING_STUDIO_SETTINGS names another settings file (the tests use a private one)."""
import json
import os

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_ENV = "TRAINING_STUDIO_SETTINGS"
GROUP = "v1"
RECENT_MAX = 10
DISMISSED_MAX = 200


def open_store() -> QSettings:
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(os.path.expanduser(path), QSettings.IniFormat)
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "TrainingStudio", "Training Studio")


class AppSettings:
    def __init__(self, store: QSettings | None = None):
        self.store = store if store is not None else open_store()

    # --- raw access, type-checked ---
    def _get(self, key: str):
        try:
            return self.store.value(f"{GROUP}/{key}")
        except Exception:  # a value Qt cannot turn into Python: as if absent
            return None

    def _set(self, key: str, value) -> None:
        self.store.setValue(f"{GROUP}/{key}", value)

    def text(self, key: str) -> str | None:
        value = self._get(key)
        return value if isinstance(value, str) and value else None

    def set_text(self, key: str, value: str | None) -> None:
        self._set(key, value or "")

    def data(self, key: str):
        """A JSON value stored as text (lists and dicts survive every QSettings backend the same way)."""
        text = self.text(key)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None

    def set_data(self, key: str, value) -> None:
        self._set(key, json.dumps(value))

    def blob(self, key: str) -> QByteArray | None:
        value = self._get(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_blob(self, key: str, value: QByteArray) -> None:
        self._set(key, value)

    # --- what the app remembers ---
    def model(self) -> str | None:
        return self.text("model")

    def set_model(self, kind: str) -> None:
        self.set_text("model", kind)

    def model_form(self, kind: str) -> tuple[str | None, dict] | None:
        """(preset, {field: value}) last used for a model, or None."""
        value = self.data(f"forms/{kind}")
        if not (isinstance(value, dict) and isinstance(value.get("values"), dict)):
            return None
        preset = value.get("preset")
        return (preset if isinstance(preset, str) else None), value["values"]

    def set_model_form(self, kind: str, preset: str | None, values: dict) -> None:
        self.set_data(f"forms/{kind}", {"preset": preset, "values": values})

    def folder(self, purpose: str) -> str | None:
        """The folder last used to open or export something ("open", "export")."""
        path = self.text(f"folders/{purpose}")
        return path if path and os.path.isdir(path) else None

    def set_folder(self, purpose: str, path: str) -> None:
        folder = path if os.path.isdir(path) else os.path.dirname(path)
        if folder:
            self.set_text(f"folders/{purpose}", folder)

    def recent(self) -> list[str]:
        value = self.data("recent")
        return [p for p in value if isinstance(p, str)][:RECENT_MAX] if isinstance(value, list) else []

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        self.set_data("recent", ([path] + [p for p in self.recent() if p != path])[:RECENT_MAX])

    def clear_recent(self) -> None:
        self.set_data("recent", [])

    def dismissed_crashes(self) -> set[tuple[str, int, int]]:
        """(path, size, mtime_ns) of the crashed sessions the person dismissed (widgets/recovery_dialog.py):
        a file that changed since (resumed, crashed again) counts as another one."""
        value = self.data("dismissed_crashes")
        if not isinstance(value, list):
            return set()
        return {(p, size, mtime) for p, size, mtime in (v for v in value if isinstance(v, list) and len(v) == 3)
                if isinstance(p, str) and isinstance(size, int) and isinstance(mtime, int)}

    def dismiss_crash(self, path: str, size: int, mtime_ns: int) -> None:
        # Entries of files gone or changed since can never match again: dropped, so the list stays short.
        kept = [list(k) for k in self.dismissed_crashes() if _same_file(*k)]
        self.set_data("dismissed_crashes", kept[-(DISMISSED_MAX - 1):] + [[path, int(size), int(mtime_ns)]])

    def sync(self) -> None:
        self.store.sync()


def _same_file(path: str, size: int, mtime_ns: int) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) == (size, mtime_ns)
