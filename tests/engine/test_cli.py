"""The `cutout` command on good, corrupt, empty, non-image and huge inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from cutout.cli import main

from .conftest import disk_photo


def models_dir(manifest) -> str:
    return manifest.base


def test_writes_full_resolution_cutout_beside_input(tmp_path, toy_manifest):
    src = tmp_path / "photo.jpg"
    Image.fromarray(disk_photo(480, 640)[..., :3]).save(src, quality=92)
    assert main([str(src), "--models", models_dir(toy_manifest)]) == 0
    out = Image.open(tmp_path / "photo.cutout.png")
    assert out.mode == "RGBA" and out.size == (640, 480)
    assert src.exists()


def test_folder_with_bad_files_reports_and_continues(tmp_path, toy_manifest, capsys):
    shots = tmp_path / "shots"
    (shots / "sub").mkdir(parents=True)
    Image.fromarray(disk_photo(200, 300)[..., :3]).save(shots / "good.png")
    Image.fromarray(disk_photo(300, 200)[..., :3]).save(shots / "sub" / "good2.webp")
    (shots / "empty.jpg").write_bytes(b"")
    (shots / "notes.png").write_text("this is not an image")
    good = (shots / "good.png").read_bytes()
    (shots / "truncated.png").write_bytes(good[: len(good) // 2])
    Image.new("1", (10000, 10000)).save(shots / "huge.png")  # 100 MP, tiny file
    out = tmp_path / "out"
    code = main([str(shots), "-o", str(out), "--webp", "--models", models_dir(toy_manifest)])
    err = capsys.readouterr().err
    assert code == 1
    assert (out / "good.webp").exists() and (out / "sub" / "good2.webp").exists()
    assert "empty.jpg: This file is empty." in err
    assert "notes.png: This file could not be read as an image." in err
    assert "truncated.png: This file could not be read" in err
    assert "huge.png: This image has more pixels than the app can process." in err
    assert "2 written, 4 failed" in err


def test_a_file_that_cannot_be_written_is_reported_and_the_rest_go_on(tmp_path, toy_manifest, capsys):
    """Outputs are written in a second thread while the next photo is cut out:
    a failed write is still reported against its own photo."""
    shots, out = tmp_path / "shots", tmp_path / "out"
    shots.mkdir()
    for name in ("a", "b", "c"):
        Image.fromarray(disk_photo(120, 160)[..., :3]).save(shots / f"{name}.png")
    (out / "b.png").mkdir(parents=True)  # a folder where b's cutout should go
    code = main([str(shots), "-o", str(out), "--models", models_dir(toy_manifest)])
    err = capsys.readouterr().err
    assert code == 1
    assert "skipped" in err and "b.png" in err and "2 written, 1 failed" in err
    assert Image.open(out / "a.png").size == (160, 120) and Image.open(out / "c.png").size == (160, 120)
    assert not list(out.glob("*.part"))


def test_never_overwrites_inputs(tmp_path, toy_manifest, capsys):
    src = tmp_path / "a.png"
    Image.fromarray(disk_photo(100, 120)[..., :3]).save(src)
    before = src.read_bytes()
    code = main([str(tmp_path), "-o", str(tmp_path), "--models", models_dir(toy_manifest)])
    assert code == 1
    assert src.read_bytes() == before
    assert "is one of the inputs" in capsys.readouterr().err


def test_mask_only(tmp_path, toy_manifest):
    src = tmp_path / "b.png"
    Image.fromarray(disk_photo(150, 150)).save(src)
    assert main([str(src), "--mask", "--models", models_dir(toy_manifest)]) == 0
    mask = np.asarray(Image.open(tmp_path / "b.mask.png"))
    assert mask.shape == (150, 150) and mask[75, 75] == 255 and mask[0, 0] == 0


def test_missing_models_is_a_clear_error(tmp_path, capsys):
    src = tmp_path / "c.png"
    Image.fromarray(disk_photo(50, 50)).save(src)
    assert main([str(src), "--models", str(tmp_path / "nowhere")]) == 2
    assert "not installed" in capsys.readouterr().err


def test_tampered_model_is_refused(tmp_path, toy_manifest, capsys):
    import shutil
    copy = tmp_path / "models"
    shutil.copytree(toy_manifest.base, copy)
    toy = copy / "toy.onnx"
    data = bytearray(toy.read_bytes())
    data[-1] ^= 0xFF
    toy.write_bytes(bytes(data))
    src = tmp_path / "d.png"
    Image.fromarray(disk_photo(50, 50)).save(src)
    assert main([str(src), "--models", str(copy)]) == 2
    assert "damaged or was modified" in capsys.readouterr().err
    assert not Path(tmp_path / "d.cutout.png").exists()
