"""Shared plumbing for the build: paths, logging, hashing, stamps, atomic writes.

Speed when nothing changed comes from two caches under `.cache/`:
  * a hash cache: sha256 of a file keyed by (size, mtime_ns, inode), so large
    files are hashed once, not on every `./dev` run;
  * stamps: a step records the hash of its inputs and its outputs' digests and
    is skipped when both still hold.
Verification against pinned digests always happens; only the hashing is cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
MODELS = ROOT / "models"
WEB_OUT = ROOT / "build" / "web"


class BuildError(RuntimeError):
    """A build step failed in a way a person has to look at."""


def log(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_file(path: Path, algo: str = "sha256") -> str:
    """Hex digest of a whole file, read in 1 MiB blocks."""
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def json_key(obj) -> str:
    """A stable hash of JSON-able data, for stamp keys."""
    return sha256_bytes(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode())


class HashCache:
    """Digests of files, remembered by (size, mtime_ns, inode) across runs."""

    def __init__(self, path: Path | None = None):
        self.path = path or CACHE / "hashes.json"
        try:
            self._data = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            self._data = {}
        self._dirty = False

    def sha256(self, path: Path) -> str:
        return self.digest(path, "sha256")

    def digest(self, path: Path, algo: str) -> str:
        st = path.stat()
        fingerprint = [st.st_size, st.st_mtime_ns, st.st_ino]
        key = f"{algo}:{path.resolve()}"
        hit = self._data.get(key)
        if hit and hit[0] == fingerprint:
            return hit[1]
        digest = digest_file(path, algo)
        self._data[key] = [fingerprint, digest]
        self._dirty = True
        return digest

    def save(self) -> None:
        if self._dirty:
            self._data = {k: v for k, v in self._data.items() if Path(k.split(":", 1)[1]).exists()}
            write_bytes_atomic(self.path, json.dumps(self._data, indent=0, sort_keys=True).encode())
            self._dirty = False


class Stamp:
    """Record that a step ran with given inputs; `data` carries its results."""

    def __init__(self, name: str | Path):
        self.path = name if isinstance(name, Path) else CACHE / "stamps" / f"{name}.json"

    def raw(self) -> dict | None:
        """The saved {"key", "data"}, or None."""
        try:
            saved = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return saved if isinstance(saved, dict) and "key" in saved and "data" in saved else None

    def load(self, key: str) -> dict | None:
        """The saved data when it was saved under `key`."""
        saved = self.raw()
        return saved["data"] if saved and saved["key"] == key else None

    def save(self, key: str, data: dict) -> None:
        write_bytes_atomic(self.path, json.dumps({"key": key, "data": data}, indent=1).encode())


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write only when the content differs, so unchanged files keep their mtime."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_bytes_atomic(path, data)
    return True


def json_bytes(obj) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode()


def verify_sha256(path: Path, expected: str, what: str, hashes: HashCache | None = None) -> str:
    """Fail loudly unless `path` hashes to the pinned `expected` digest.

    With `hashes=None` the file is hashed in full (no cache): use that when the
    answer must not rely on file metadata.
    """
    if not path.exists():
        raise BuildError(f"{what}: {path} is missing")
    actual = hashes.sha256(path) if hashes else digest_file(path)
    if actual != expected:
        raise BuildError(
            f"{what}: sha256 mismatch for {path}\n"
            f"  expected {expected}\n  actual   {actual}\n"
            "The file is corrupt or was tampered with (or the pin in buildlib/pins.py is stale). "
            "Delete it and run `python build.py` again; if it persists, do not ship this build."
        )
    return actual
