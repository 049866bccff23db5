"""`cutout`: cut out the subject of photos, at full resolution, on this machine.

    cutout photo.jpg                 -> photo.cutout.png beside it
    cutout shots/ -o out/ --webp     -> out/<same tree>/<name>.webp
    cutout a.jpg --mask              -> a.mask.png (alpha only)

Inputs are never overwritten; unreadable files are reported and skipped; the
exit status is 1 if any file failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from .backend_cpython import CPythonBackend
from .errors import CutoutError
from .files import read_rgba, write_image
from .manifest import Manifest
from .pipeline import Options, cutout

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".avif"}
DEFAULT_MODELS = Path(__file__).resolve().parents[3] / "models"


def parse(argv):
    p = argparse.ArgumentParser(prog="cutout", description=__doc__.split("\n\n")[0])
    p.add_argument("inputs", nargs="+", type=Path, help="image files or folders")
    p.add_argument("-o", "--out", type=Path, help="output folder (default: beside each input)")
    p.add_argument("--webp", action="store_true", help="write WebP instead of PNG")
    p.add_argument("--mask", action="store_true", help="write the alpha mask only")
    p.add_argument("--no-refine", action="store_true", help="skip edge refinement and colour decontamination")
    p.add_argument("--best", action="store_true",
                   help="a second model pass on the mirrored photo: finer edges, about twice the time")
    p.add_argument("--model", default="isnet-fp16", choices=["isnet-fp16", "isnet-fp32", "isnet-int8", "isnet-mixed"])
    p.add_argument("--models", type=Path, default=Path(os.environ.get("CUTOUT_MODELS", DEFAULT_MODELS)),
                   help="folder holding manifest.json (default: the build's models/)")
    p.add_argument("--threads", type=int, default=None)
    return p.parse_args(argv)


def collect(inputs: list[Path]) -> list[tuple[Path, Path]]:
    """(file, path relative to what the user named), folders walked recursively."""
    found = []
    for item in inputs:
        if item.is_dir():
            for f in sorted(item.rglob("*")):
                if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES:
                    found.append((f, f.relative_to(item)))
        else:
            found.append((item, Path(item.name)))
    return found


def output_path(src: Path, rel: Path, args) -> Path:
    suffix = ".webp" if args.webp else ".png"
    kind = "mask" if args.mask else "cutout"
    if args.out is None:
        return src.with_name(f"{src.stem}.{kind}{suffix}")
    return args.out / rel.parent / f"{rel.stem}{suffix}"


def main(argv=None) -> int:
    args = parse(argv)
    files = collect(args.inputs)
    if not files:
        print("cutout: no image files found", file=sys.stderr)
        return 2
    try:
        manifest = Manifest.load(args.models / "manifest.json")
        backend = CPythonBackend(manifest, args.threads)
        backend.load(manifest.get(args.model))  # fail early on a missing/tampered model
    except CutoutError as err:
        print(f"cutout: {err.sentence}", file=sys.stderr)
        return 2
    inputs = {f.resolve() for f, _ in files}
    options = Options(output="mask" if args.mask else "cutout", refine=not args.no_refine, model=args.model,
                      tta=args.best)
    fmt = "webp" if args.webp else "png"
    failed = 0

    def report(src: Path, err: Exception) -> None:
        nonlocal failed
        failed += 1
        reason = err.sentence if isinstance(err, CutoutError) else (getattr(err, "strerror", None) or err)
        tqdm.write(f"skipped {src}: {reason}", file=sys.stderr)

    def read(src: Path, dst: Path):
        if dst.resolve() in inputs:
            raise CutoutError("bad_option", f"{dst} is one of the inputs; it is not overwritten")
        return read_rgba(src)

    def write(dst: Path, pixels) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        write_image(dst, pixels, fmt)

    # Decoding the next photo and encoding the last cutout run in a second thread
    # (Pillow lets go of the GIL): they fill the gaps the engine leaves on the
    # cores instead of adding to every photo's time (a PNG of 12 MP takes ~0.9 s).
    jobs = [(src, output_path(src, rel, args)) for src, rel in files]
    with ThreadPoolExecutor(1, thread_name_prefix="cutout-io") as io, tqdm(total=len(jobs), unit="image", disable=None) as bar:
        reading = io.submit(read, *jobs[0])
        writing = None
        for i, (src, dst) in enumerate(jobs):
            try:
                pixels = reading.result()
            except (CutoutError, OSError) as err:
                pixels = None
                report(src, err)
            if i + 1 < len(jobs):
                reading = io.submit(read, *jobs[i + 1])
            out = None
            if pixels is not None:
                try:
                    out = cutout(backend, manifest, pixels, options)
                except CutoutError as err:
                    report(src, err)
                del pixels
            if writing is not None:
                _finish(writing, report, bar)
                writing = None
            if out is None:
                bar.update()
            else:
                writing = (src, io.submit(write, dst, out))
        if writing is not None:
            _finish(writing, report, bar)
    done = len(files) - failed
    print(f"cutout: {done} written, {failed} failed", file=sys.stderr)
    return 1 if failed else 0


def _finish(writing, report, bar) -> None:
    src, future = writing
    try:
        future.result()
    except (CutoutError, OSError) as err:
        report(src, err)
    bar.update()


if __name__ == "__main__":
    sys.exit(main())
