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


def test_crop_into_scratch_and_block_copy(context, app_url):
    """A crop into a scratch array is a view of it (reused when large enough, a
    new array when not); copyBlock moves one block of an image to the same place
    in another and nothing else."""
    page = context.new_page()
    page.goto(f"{app_url}/")
    got = page.evaluate("""async () => {
        const { cropBlock, copyBlock } = await import("/js/engine/tensor-ops.js");
        const dims = [7, 9, 4];
        const data = Uint8Array.from({ length: 7 * 9 * 4 }, (_, i) => i % 251);
        const scratch = new Uint8Array(100).fill(255);
        const small = cropBlock(data, dims, [2, 3, 0], [4, 6, 4], scratch); // 24 values: fits
        const big = cropBlock(data, dims, [0, 0, 0], [5, 9, 4], scratch);   // 180 values: does not
        const dst = new Uint8Array(data.length);
        copyBlock(data, dst, dims, 2, 3, 4, 5);
        let refused = "";
        try { copyBlock(data, dst, dims, 5, 6, 3, 4); } catch (e) { refused = e.message; }
        return { smallShared: small.data.buffer === scratch.buffer, small: Array.from(small.data),
                 bigShared: big.data.buffer === scratch.buffer, big: Array.from(big.data), dst: Array.from(dst), refused };
    }""")
    full = (np.arange(7 * 9 * 4) % 251).astype(np.uint8).reshape(7, 9, 4)
    assert got["smallShared"] and np.array_equal(got["small"], full[2:4, 3:6].ravel())
    assert not got["bigShared"] and np.array_equal(got["big"], full[0:5].ravel())
    expect = np.zeros_like(full)
    expect[2:6, 3:8] = full[2:6, 3:8]
    assert np.array_equal(np.array(got["dst"], np.uint8), expect.ravel())
    assert "[internal]" in got["refused"]
