"""The engine worker's modules are fetched in one wave: a worker has no
modulepreload, so worker.js names every module its imports import too
(web/static/js/engine/worker.js says why)."""

from __future__ import annotations

import re
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "web" / "static" / "js" / "engine"
# static imports only: `import ... from "x"` and `import "x"` (dynamic import() loads the runtimes)
IMPORT = re.compile(r'^import\s+(?:[^"\']*?\sfrom\s+)?["\'](\.[^"\']+)["\'];?\s*$', re.M)


def imports(path: Path) -> set[Path]:
    return {(path.parent / m).resolve() for m in IMPORT.findall(path.read_text())}


def closure(path: Path) -> set[Path]:
    seen, todo = set(), [path.resolve()]
    while todo:
        for m in imports(todo.pop()) - seen:
            seen.add(m)
            todo.append(m)
    return seen


def test_the_engine_worker_imports_its_whole_module_graph_itself():
    worker = ENGINE / "worker.js"
    missing = sorted(p.name for p in closure(worker) - imports(worker))
    assert not missing, f"worker.js should import these too (they are fetched a level later otherwise): {missing}"


def test_the_import_parser_sees_nested_imports():
    # the check above is only as good as the parser: ort-bridge.js imports tile-pool.js, which worker.js does not use itself
    assert ENGINE / "tile-pool.js" in imports(ENGINE / "ort-bridge.js")
    assert ENGINE / "wasm-compile.js" in closure(ENGINE / "runtime.js")
