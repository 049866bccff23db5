"""Downloads from the registries (npm, PyPI) into `.cache/`, integrity-checked.

Only `download_npm` and `download_wheel` touch the network; everything else
works from the cache. A cached file that fails its pinned digest is fetched
again once, then the build stops.
"""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from .common import CACHE, BuildError, HashCache, digest_file, log, verify_sha256
from .pins import NpmPin, WheelPin

NPM_CACHE = CACHE / "npm"
PYPI_CACHE = CACHE / "pypi"
UNPACKED = CACHE / "pkg"
OFFLINE = False  # set by `build.py --offline`: any needed download is an error


def _integrity_hex(integrity: str) -> tuple[str, str]:
    algo, _, b64 = integrity.partition("-")
    if algo not in ("sha512", "sha384", "sha256"):
        raise BuildError(f"unsupported integrity algorithm in pin: {integrity[:16]}...")
    return algo, binascii.hexlify(base64.b64decode(b64)).decode()


def npm_integrity_ok(path: Path, pin: NpmPin, hashes: HashCache | None) -> bool:
    algo, expected = _integrity_hex(pin.integrity)
    actual = hashes.digest(path, algo) if hashes else digest_file(path, algo)
    return actual == expected


def download_npm(pin: NpmPin, dest: Path) -> Path:
    """`npm pack NAME@VER` into `dest` (the registry client does the transfer)."""
    if OFFLINE:
        raise BuildError(f"--offline: {pin.spec} is not in {NPM_CACHE}")
    if not shutil.which("npm"):
        raise BuildError("npm is not installed (./dev installs it: apt-get install nodejs npm)")
    log(f"npm pack {pin.spec}")
    proc = subprocess.run(["npm", "pack", pin.spec, "--pack-destination", str(dest), "--silent"],
                          cwd=dest, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"npm pack {pin.spec} failed:\n{proc.stderr.strip()[-2000:]}")
    return dest / pin.tarball


def npm_tarball(pin: NpmPin, hashes: HashCache) -> Path:
    """The pinned npm tarball from the cache, downloading it when absent or bad."""
    path = NPM_CACHE / pin.tarball
    if path.exists() and npm_integrity_ok(path, pin, hashes):
        return path
    if path.exists():
        log(f"{path.name}: cached tarball fails its integrity pin, fetching again")
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=NPM_CACHE, prefix=".pack-") as tmp:
        got = download_npm(pin, Path(tmp))
        if not got.exists():
            raise BuildError(f"npm pack {pin.spec} did not write {got.name}")
        if not npm_integrity_ok(got, pin, None):
            raise BuildError(f"{pin.spec}: downloaded tarball does not match the pinned integrity {pin.integrity}")
        os.replace(got, path)
    return path


def check_member(member: tarfile.TarInfo) -> None:
    """Refuse anything that could write outside the extraction folder."""
    name = member.name
    parts = PurePosixPath(name).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]) or "\\" in name:
        raise BuildError(f"unsafe path in tarball: {name!r}")
    if not (member.isfile() or member.isdir()):
        raise BuildError(f"refusing tarball member that is not a plain file or folder: {name!r}")


def safe_extract(tarball: Path, dest: Path) -> None:
    """Extract `tarball` into `dest`, checking every member first."""
    with tarfile.open(tarball, "r:*") as tar:
        members = tar.getmembers()
        for member in members:
            check_member(member)
        root = dest.resolve()
        for member in members:
            target = (dest / member.name).resolve()
            if target != root and root not in target.parents:
                raise BuildError(f"unsafe path in tarball: {member.name!r}")
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: the stdlib's own checks too
            tar.extractall(dest, members=members, filter="data")
        else:
            tar.extractall(dest, members=members)


def unpacked(pin: NpmPin, hashes: HashCache) -> Path:
    """Folder holding the extracted package (its `package/` root), extracting once."""
    tarball = npm_tarball(pin, hashes)
    out = UNPACKED / tarball.name.removesuffix(".tgz")
    marker = out / ".integrity"
    if marker.exists() and marker.read_text() == pin.integrity:
        return out / "package"
    log(f"extract {tarball.name}")
    UNPACKED.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=UNPACKED, prefix=".x-"))
    try:
        safe_extract(tarball, tmp)
        if not (tmp / "package").is_dir():
            raise BuildError(f"{tarball.name}: no package/ folder inside")
        (tmp / ".integrity").write_text(pin.integrity)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out / "package"


def download_wheel(pin: WheelPin, dest: Path) -> Path:
    """`pip download` the pinned wheel for the Pyodide platform, hash-checked by pip too."""
    if OFFLINE:
        raise BuildError(f"--offline: {pin.filename} is not in {PYPI_CACHE}")
    log(f"pip download {pin.name}=={pin.version} ({pin.platform})")
    req = dest / "requirements.txt"
    req.write_text(f"{pin.name}=={pin.version} --hash=sha256:{pin.sha256}\n")
    cmd = [sys.executable, "-m", "pip", "download", "-q", "-r", str(req), "--require-hashes", "--no-deps",
           "--only-binary=:all:", "--platform", pin.platform, "--python-version", pin.python_version,
           "-d", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"pip download {pin.name}=={pin.version} failed:\n{proc.stderr.strip()[-2000:]}")
    return dest / pin.filename


def wheel(pin: WheelPin, hashes: HashCache) -> Path:
    """The pinned wheel from the cache, downloading it when absent or bad."""
    path = PYPI_CACHE / pin.filename
    if path.exists() and hashes.sha256(path) == pin.sha256:
        return path
    PYPI_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=PYPI_CACHE, prefix=".dl-") as tmp:
        got = download_wheel(pin, Path(tmp))
        verify_sha256(got, pin.sha256, f"wheel {pin.filename}")
        os.replace(got, path)
    return path
