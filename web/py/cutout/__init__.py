"""Cutout engine: plans and runs the background-removal pipeline.

Plain Python: imports under CPython and Pyodide alike. Pixel work happens in
ONNX graphs run by a backend (`backend_cpython` here, `browser` in Pyodide).
"""

from .errors import CutoutError

__all__ = ["CutoutError"]
