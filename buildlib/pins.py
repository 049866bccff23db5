"""Everything the build downloads or derives, pinned: versions and digests.

Changing a version means changing its digest here too (and NOTICE). Digests of
registry artefacts are the registries' own (npm `dist.integrity`, PyPI sha256);
model digests were computed once from those artefacts and hard-coded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NpmPin:
    name: str
    version: str
    integrity: str  # npm dist.integrity (sha512, base64)
    licence: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def tarball(self) -> str:  # the file name `npm pack` writes
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


PYODIDE = NpmPin(
    "pyodide", "314.0.7",
    "sha512-0YvXxEhfEdpLfb/XkM2BFAeMROq0iMUX2bzzH9pOttyMcWkwq+HbE5uyuGD82LN7y2q+SNvi/6V5JEsOlD2R1A==",
    "MPL-2.0",
)
ORT_WEB = NpmPin(
    "onnxruntime-web", "1.30.0",
    "sha512-q0y+JrrtukXSzsBWEMccVfqX25LRmosXHF+CaRJmg8pZClzcV7svNc4rKY3jL02Vb7QmRMDs1SigqR4CXAfKYQ==",
    "MIT",
)
ISNET_DATA = NpmPin(
    "@imgly/background-removal-data", "1.4.5",
    "sha512-iRXZpPd7YirbJ4eOZ3SlvbdJkAc/LxVjzWLMHOezmRrVThPJPdPc+Y2kHEAVFEVvpDIuvBDyOfTTFBSJT2QR5w==",
    "AGPL-3.0 (package); ISNet weights MIT",
)
FFLATE = NpmPin(
    "fflate", "0.8.3",
    "sha512-tbZNuJrLwGUp3zshBtdy4W+ORxZuIh8a5ilyIEQDC5rY1f3U20JMry0Ll3WBzU58EZKsEuJFXhb5gwv8CsPvgA==",
    "MIT",
)
NPM_PINS = (PYODIDE, ORT_WEB, ISNET_DATA, FFLATE)
FFLATE_FILE = "esm/browser.js"  # its ES module build, shipped as vendor/fflate/fflate.mjs


@dataclass(frozen=True)
class WheelPin:
    name: str
    version: str
    filename: str
    sha256: str  # as published on PyPI
    platform: str
    python_version: str
    licence: str


MSGSPEC = WheelPin(
    "msgspec", "0.22.0",
    "msgspec-0.22.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
    "a66b1766311e42371e509c996c3933b161c7ae0eabdf361af5316dec197e1022",
    "pyemscripten_2026_0_wasm32", "3.14", "BSD-3-Clause",
)
WHEEL_PINS = (MSGSPEC,)

# Files the Pyodide core needs to boot (pyodide.mjs fetches the rest by name
# from its indexURL). Package wheels from the lock file are not in the npm package.
PYODIDE_FILES = (
    "pyodide.mjs", "pyodide.js", "pyodide.asm.mjs", "pyodide.asm.wasm",
    "python_stdlib.zip", "pyodide-lock.json",
)
# ort.webgpu.min.mjs: WebGPU + WASM EPs, loads the .asyncify build;
# ort.wasm.min.mjs: WASM EP only, loads the plain build (smaller wasm).
ORT_FILES = (
    "ort.webgpu.min.mjs", "ort.wasm.min.mjs",
    "ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm",
    "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm",
)


@dataclass(frozen=True)
class ModelPin:
    name: str          # manifest name the engine asks for
    precision: str     # fp16 | int8 | fp32 | mixed
    file: str          # under models/
    sha256: str        # of the file we ship (pruned when PRUNE)
    full_sha256: str   # the same variant before pruning
    source_sha256: str  # of the as-shipped reassembly it derives from
    resource: str      # key in the data package's dist/resources.json


ISNET_SOURCE_SHA256 = {  # reassembled from resources.json chunks, as shipped
    "fp16": "b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb",
    "int8": "7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a",
}
ISNET_RESOURCE = {"fp16": "/models/medium", "int8": "/models/small"}
# fp32 is derived from the as-shipped fp16 model (before pruning), mixed from fp32.
ISNET_FULL_SHA256 = dict(ISNET_SOURCE_SHA256, fp32="1e114df064f68687cc94eb280620876ae3b4cdb47f4982638a512d6f0b56cb16",
                         mixed="324b84b756700667b2787e60478502cdc5ad01dfe18ff328965f59964150dea0")
# Whether shipped models keep only the `output` output (see models.prune_outputs).
PRUNE = True
ISNET_SHA256 = {  # shipped files: pruned, spatial dims freed (models.ModelBuilder.shipped)
    "fp16": "351707e5fb35b3a70d9ef5cefaada2b642f138a3d175e33d31088e63fe07a9cf",
    "int8": "0528da012e0f158ae9e6b7efe8bed50dc5ae0c80dec6f7ac554ed0c3314aaeca",
    "fp32": "4fab65ef4154dd48a3cbb17880d4b3ee7772758dba3fd8fae7b9782361ea56f4",
    "mixed": "ed808608d7bd0051168ebad4d168e683caf21c94ab18818895c6ee99d3a8f0a2",
}

ISNET_META = {
    "input_size": 1024,
    "input_name": "input",
    "output_name": "output",
    # h, w: multiples of 32, long side input_size (onnx_edit.free_spatial_dims);
    # the pipeline keeps the photo's aspect ratio
    "input_shape": [1, 3, "h", "w"],
    "output_shape": [1, 1, "h", "w"],
    "input_multiple": 32,
    "output_activation": "sigmoid",  # already applied inside the graph
    "mean": 0.5,   # x = (rgb / 255 - mean) / std
    "std": 1.0,
    "licence": "MIT",
    "licence_source": "@imgly/background-removal-data@1.4.5 ThirdPartyLicenses.json: ISNET, https://github.com/xuebinqin/DIS",
    "licence_note": "upstream DIS README: code under Apache-2.0; see NOTICE",
    "provenance": "ISNet (DIS, general use) from npm @imgly/background-removal-data@1.4.5",
}
FP32_MAX_ABS_DIFF = 1e-3  # fp32 derivation must match the fp16 model this closely
# "mixed": int8 convolutions (buildlib/quantize.py) except those whose names
# start with these, which stay fp32 (16 of the 114 `output` needs). Engine with refine, SAD / bSAD:
#   alphamatting27 (27): fp16 37.6 / 17.0; all int8 as shipped 44.3 / 17.7;
#     output head + stem + first and last conv of stage1d 39.2 / 16.9;
#     that + stage2d (this) 37.3 / 16.8.  grabcut50: fp16 8.81 / 1.61, this 8.99 / 1.63.
#   Keeping any other single stage fp32 instead of stage2d moved SAD by < 3%.
#   With the dequantization in two nodes (quantize.py): 37.5 / 16.9, grabcut50 8.95 / 1.62.
# On WASM it runs ISNet ~1.7-2x faster than fp16 (BENCHMARKS.md, browser).
MIXED_KEEP_FP32 = ("/side1/", "/conv_in/", "/stage1d/rebnconvin/", "/stage1d/rebnconv1d/", "/stage2d/")
MIXED_MAX_ABS_DIFF = 0.05  # sanity bound against fp32 on a random input (measured 4.8e-3)


def isnet_pins() -> list[ModelPin]:
    shipped = ISNET_SHA256 if PRUNE else ISNET_FULL_SHA256
    source = {"fp16": "fp16", "int8": "int8", "fp32": "fp16", "mixed": "fp16"}  # fp32, mixed: derived
    return [ModelPin(f"isnet-{p}", p, f"isnet_{p}.onnx", shipped[p], ISNET_FULL_SHA256[p],
                     ISNET_SOURCE_SHA256[source[p]], ISNET_RESOURCE[source[p]])
            for p in ("fp16", "int8", "fp32", "mixed")]
