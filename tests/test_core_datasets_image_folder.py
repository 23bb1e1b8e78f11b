"""A folder of one's own pictures as training data (studio/data/image_folder.py): classes from sub-folders,
28×28 grey light-on-dark, skipped files counted, an empty folder refused, and a run that trains on it."""
import numpy as np
import pytest
from PIL import Image

from studio.data.image_folder import load_image_folder
from studio.data.sources import load_source
from studio.errors import DataError


def picture(path, size=(60, 40), ink=0, paper=255, mode="L"):
    """A dark bar on light paper (as a person scans or draws it), saved in the format the suffix says."""
    a = np.full(size[::-1], paper, np.uint8)
    a[size[1] // 4: 3 * size[1] // 4, size[0] // 3: 2 * size[0] // 3] = ink
    img = Image.fromarray(a)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.convert(mode).save(path)
    return path


def test_sub_folders_are_classes_and_pictures_become_28_grey_light_on_dark(tmp_path):
    picture(tmp_path / "cats" / "a.png")
    picture(tmp_path / "cats" / "b.jpg", size=(300, 200), mode="RGB")
    picture(tmp_path / "dogs" / "deeper" / "c.png", size=(20, 50))
    data = load_image_folder(tmp_path)
    assert data.classes == ["cats", "dogs"]
    assert list(data.labels) == [0, 0, 1]
    assert data.images.shape == (3, 28, 28) and data.images.dtype == np.uint8
    # Dark ink on white paper is inverted to MNIST's light figure on a dark ground: corners dark, centre light.
    for img in data.images:
        assert img[0, 0] < 30 and img[14, 14] > 200
    assert "inverted" in data.notes[0] and "3 images in 2 classes" in data.notes[0]


def test_light_on_dark_pictures_are_kept_as_they_are(tmp_path):
    for i in range(3):
        picture(tmp_path / f"{i}.png", ink=255, paper=0)
    data = load_image_folder(tmp_path)
    assert data.classes == [tmp_path.name]
    assert data.images[:, 14, 14].min() > 200 and data.images[:, 0, 0].max() < 30
    assert "inverted" not in data.notes[0]


def test_transparent_background_counts_as_white(tmp_path):
    a = np.zeros((40, 40, 4), np.uint8)
    a[10:30, 10:30] = (0, 0, 0, 255)  # a black square on a fully transparent ground
    Image.fromarray(a, "RGBA").save(tmp_path / "icon.png")
    img = load_image_folder(tmp_path).images[0]
    assert img[0, 0] == 0 and img[14, 14] == 255  # white ground, inverted with the black square


def test_corrupt_and_foreign_files_are_skipped_and_counted(tmp_path):
    good = picture(tmp_path / "ok.png")
    (tmp_path / "notes.txt").write_text("not a picture")
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:60])  # a PNG cut short
    (tmp_path / ".DS_Store").write_bytes(b"\0" * 10)  # hidden: nobody's data, not even counted
    data = load_image_folder(tmp_path)
    assert len(data) == 1
    skip = data.notes[1]
    assert skip.startswith("skipped 2 files") and "notes.txt" in skip and "cut.png" in skip
    assert ".DS_Store" not in skip


def test_an_empty_folder_or_one_without_pictures_is_refused_in_one_line(tmp_path):
    with pytest.raises(DataError, match="no images") as empty:
        load_image_folder(tmp_path)
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(DataError, match="skipped 1 files") as foreign:
        load_image_folder(tmp_path)
    for exc in (empty, foreign):
        assert "\n" not in str(exc.value)


def test_load_source_tells_a_picture_folder_from_a_missing_one(tmp_path):
    picture(tmp_path / "pics" / "a.png")
    assert len(load_source(str(tmp_path / "pics"))) == 1
    with pytest.raises(DataError, match="no such folder"):
        load_source(str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="no test split"):
        load_source(str(tmp_path / "pics"), "test")


def test_a_vae_trains_on_a_picture_folder_and_logs_how_it_was_loaded(tmp_path):
    from studio import config as cfg
    from studio.runs import new_run
    from studio.run_settings import RunSettings
    from studio.trainers.registry import trainer_class

    for i in range(12):
        picture(tmp_path / "pics" / f"{i}.png", size=(30 + i, 40))
    (tmp_path / "pics" / "broken.jpg").write_bytes(b"\xff\xd8\xff")
    cls = trainer_class("vae")
    config = cfg.from_dict(cls.config_cls, {"batch_size": 4})
    run = new_run("vae", config, RunSettings(data=str(tmp_path / "pics")), save=False)
    notes = run.trainer.take_notes()
    assert any("12 images in 1 class" in n for n in notes) and any("skipped 1 files" in n for n in notes)
    assert run.trainer.take_notes() == []  # told once
    losses = [run.trainer.train_step() for _ in range(3)]
    assert losses and all(np.isfinite(float(v)) for m in losses for v in m.values())


def test_too_few_pictures_for_the_vae_is_one_line(tmp_path):
    from studio import config as cfg
    from studio.runs import new_run
    from studio.run_settings import RunSettings
    from studio.trainers.registry import trainer_class

    for i in range(3):
        picture(tmp_path / f"{i}.png")
    config = cfg.from_dict(trainer_class("vae").config_cls, {})
    with pytest.raises(DataError, match="too few for the VAE"):
        new_run("vae", config, RunSettings(data=str(tmp_path)), save=False)
