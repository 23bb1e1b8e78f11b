"""The data picker says where each set would come from, and says it anew once a run has downloaded one."""
from studio.data import download, sources


def test_a_set_downloaded_by_a_run_is_labelled_downloaded_when_the_run_ends(window, monkeypatch, tmp_path):
    monkeypatch.setenv(download.CACHE_ENV, str(tmp_path / "empty-cache"))
    monkeypatch.setattr(sources, "installed_folder", lambda spec: None)  # MNIST has no Debian package anyway
    picker = window.setup.data
    window.setup.refresh_data_labels()
    index = picker.findData("mnist")
    assert "download," in picker.itemText(index)
    monkeypatch.setattr(download, "is_cached", lambda spec: spec.key == "mnist")  # as after a run fetched it
    window.setup.set_mode("none")
    assert "download," in picker.itemText(index)  # not while running
    window.setup.set_mode("all")
    assert picker.itemText(index).endswith("(downloaded)") and picker.findData("mnist") == index
