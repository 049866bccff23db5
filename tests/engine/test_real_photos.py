"""The whole pipeline with the real ISNet model on real photos from
../shared/eval (read in place).

Floor: the bilinear-baseline IoU of the chosen photos is >= 0.95 (the sets'
medians are 0.93 and 0.97); a working engine stays above 0.90 on each, while
a broken stage (wrong normalisation, shifted tiles, flipped alpha) falls far
below it. The engine must also not lose to its own unrefined output."""

from __future__ import annotations

import numpy as np
import pytest

from bench.data import EVAL, samples
from bench.metrics import metrics
from cutout.backend_cpython import CPythonBackend
from cutout.files import read_rgba
from cutout.pipeline import Options, cutout

PHOTOS = {"alphamatting27": ["GT02", "GT05", "GT10", "GT18"], "grabcut50": ["person1", "llama", "teddy", "banana1"]}
FLOOR = 0.90

if not EVAL.is_dir():
    pytest.skip(f"EVALUATION DATA MISSING: {EVAL} not found; real-photo tests not run", allow_module_level=True)


@pytest.fixture(scope="module")
def backend(real_manifest):
    return CPythonBackend(real_manifest)


@pytest.mark.parametrize("set_name", sorted(PHOTOS))
def test_engine_iou_on_real_photos(backend, real_manifest, set_name):
    chosen = [s for s in samples(set_name) if s.name in PHOTOS[set_name]]
    assert len(chosen) == len(PHOTOS[set_name]), f"photos missing from {set_name}"
    refined, plain = [], []
    for s in chosen:
        rgba = read_rgba(s.image)
        out = cutout(backend, real_manifest, rgba, Options())
        assert out.shape == rgba.shape
        alpha = out[..., 3] / 255.0
        iou = metrics(alpha, s.gt, s.scored, s.binary)["IoU"]
        assert iou >= FLOOR, f"{set_name}/{s.name}: IoU {iou:.3f} < {FLOOR}"
        refined.append(iou)
        mask = cutout(backend, real_manifest, rgba, Options(refine=False, output="mask"))[..., 0] / 255.0
        plain.append(metrics(mask, s.gt, s.scored, s.binary)["IoU"])
    assert np.mean(refined) >= np.mean(plain) - 0.005
