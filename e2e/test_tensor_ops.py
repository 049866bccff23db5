"""The bridge's block copies (web/static/js/engine/tensor-ops.js) against numpy,
in the browser that runs them: crops of every rank, whole and partial axes."""

from __future__ import annotations

import numpy as np

CASES = [  # dims, starts, ends
    ([7, 9, 4], [2, 3, 0], [6, 8, 4]),        # an RGBA tile: whole channel axis
    ([7, 9, 4], [0, 0, 0], [7, 9, 4]),        # everything
    ([7, 9, 4], [1, 0, 0], [5, 9, 4]),        # whole rows
    ([7, 9, 4], [1, 2, 1], [3, 7, 3]),        # every axis cut
    ([1, 3, 6, 5], [0, 0, 1, 2], [1, 3, 5, 5]),  # a coefficient window
    ([1, 3, 6, 5], [0, 1, 0, 0], [1, 3, 6, 5]),  # channels only
    ([11], [3], [8]),
]


def test_crop_matches_numpy(context, app_url):
    page = context.new_page()
    page.goto(f"{app_url}/")
    got = page.evaluate("""async (cases) => {
        const { cropBlock } = await import("/js/engine/tensor-ops.js");
        return cases.map(([dims, starts, ends]) => {
            const n = dims.reduce((a, b) => a * b, 1);
            const data = Float32Array.from({ length: n }, (_, i) => i);
            const { data: out, shape } = cropBlock(data, dims, starts, ends);
            return { shape, values: Array.from(out) };
        });
    }""", CASES)
    for (dims, starts, ends), result in zip(CASES, got):
        full = np.arange(np.prod(dims), dtype=np.float32).reshape(dims)
        expect = full[tuple(slice(s, e) for s, e in zip(starts, ends))]
        assert result["shape"] == list(expect.shape)
        assert np.array_equal(np.array(result["values"], np.float32), expect.ravel()), (dims, starts, ends)
