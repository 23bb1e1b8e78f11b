"""Sessions and logs go to the platform's user folders (platformdirs); the environment overrides them,
and a machine with sessions in the old folder keeps using it."""
from studio.app_log import log_dir
from studio.session.paths import sessions_dir


def test_user_folders_follow_the_platform_and_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("TRAINING_STUDIO_SESSIONS", raising=False)
    monkeypatch.delenv("TRAINING_STUDIO_LOGS", raising=False)
    assert sessions_dir() == tmp_path / "data" / "training-studio" / "sessions"
    assert log_dir().is_relative_to(tmp_path / "state")
    legacy = tmp_path / "TrainingStudio" / "sessions"
    legacy.mkdir(parents=True)
    assert sessions_dir() == tmp_path / "data" / "training-studio" / "sessions"  # an empty old folder: no
    (legacy / "gan-1.h5").write_bytes(b"")
    assert sessions_dir() == legacy
    monkeypatch.setenv("TRAINING_STUDIO_SESSIONS", str(tmp_path / "mine"))
    monkeypatch.setenv("TRAINING_STUDIO_LOGS", str(tmp_path / "mylogs"))
    assert sessions_dir() == tmp_path / "mine" and log_dir() == tmp_path / "mylogs"
