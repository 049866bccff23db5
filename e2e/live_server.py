"""Servers that a test starts, stops and points at its own web root: the PWA
tests serve build A then build B and take the network away; the widget tests
serve host pages from other loopback origins."""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from .conftest import ROOT, _free_port, _wait_http


class AppServer:
    """`python -m server` on 127.0.0.1 with its own database, web root and widget allowlist."""

    def __init__(self, workdir: Path, web_root: Path, widget_origins: tuple[str, ...] = (), port: int | None = None):
        self.workdir, self.web_root, self.widget_origins = workdir, web_root, widget_origins
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "AppServer":
        args = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(self.port),
                "--db", str(self.workdir / "e2e.sqlite3"), "--web-root", str(self.web_root)]
        for origin in self.widget_origins:
            args += ["--widget-origin", origin]
        self.log_path = self.workdir / f"server-{self.port}.log"
        self.log = open(self.log_path, "a")
        # unbuffered: tests read the access log (requests_since) while the server runs
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        _wait_http(self.url + "/", self.proc)
        return self

    def log_mark(self) -> int:
        """Where the access log ends now: requests_since(mark) lists what came after."""
        return self.log_path.stat().st_size

    def requests_since(self, mark: int) -> list[str]:
        """Paths of the requests the server answered after `mark` (uvicorn's access log lines)."""
        with open(self.log_path, "rb") as f:
            f.seek(mark)
            text = f.read().decode("utf-8", "replace")
        return re.findall(r'"[A-Z]+ (\S+) HTTP/[0-9.]+"', text)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()


def linked_copy(src: Path, dst: Path) -> Path:
    """A copy of a built web root made of hard links (the models are hundreds of MB).
    Change files in it only by replacing them, never in place."""
    def link(s, d):
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)
    shutil.copytree(src, dst, copy_function=link)
    return dst


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extra_headers: dict[str, str] = {}

    def end_headers(self):
        for k, v in self.extra_headers.items():
            self.send_header(k, v)
        super().end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def static_host(host: str, directory: Path, headers: dict[str, str] | None = None):
    """A plain static server for a third-party page, e.g. on 127.0.0.2 (another site)."""
    handler = type("Handler", (_Quiet,), {"extra_headers": dict(headers or {})})
    server = http.server.ThreadingHTTPServer((host, 0), lambda *a: handler(*a, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
