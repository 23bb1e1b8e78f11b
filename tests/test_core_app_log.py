"""Errors go to a rotating log file in the user log folder (or $TRAINING_STUDIO_LOGS), through logging;
the person's one line names the file."""
import os

from studio import app_log


def test_a_traceback_goes_to_the_log_and_the_message_names_it(tmp_path, monkeypatch):
    monkeypatch.setenv(app_log.LOGS_ENV, str(tmp_path / "logs"))
    try:
        raise ValueError("a bug in a slot")
    except ValueError:
        where = app_log.log_exception("internal error in the window")
    path = tmp_path / "logs" / app_log.LOG_NAME
    assert where == f" (details in {path})"
    text = path.read_text()
    assert "internal error in the window" in text and "ValueError: a bug in a slot" in text and "Traceback" in text


def test_the_log_rotates_and_keeps_a_bounded_size(tmp_path, monkeypatch):
    monkeypatch.setenv(app_log.LOGS_ENV, str(tmp_path))
    monkeypatch.setattr(app_log, "MAX_BYTES", 2000)
    for h in list(app_log.logger.handlers):  # a handler made with the old size
        app_log.logger.removeHandler(h)
    for i in range(200):
        app_log.log_exception(f"error number {i} " + "x" * 100, exc_info=False)
    files = sorted(os.listdir(tmp_path))
    assert files == [app_log.LOG_NAME] + [f"{app_log.LOG_NAME}.{k}" for k in range(1, app_log.BACKUPS + 1)]
    assert all(os.path.getsize(tmp_path / f) <= 2200 for f in files)
    assert "error number 199" in (tmp_path / app_log.LOG_NAME).read_text()


def test_an_unwritable_log_folder_costs_only_the_file(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(app_log.LOGS_ENV, str(blocker / "logs"))  # a folder under a file cannot exist
    assert app_log.log_exception("still says one line", exc_info=False) == ""
