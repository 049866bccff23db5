"""Write one benchmark's section of BENCHMARKS.md, leaving the others alone.

Each section sits between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

PATH = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
HEADER = "# Benchmarks\n\nFigures written by the benchmark commands; never edited by hand.\n"


def machine() -> str:
    """The CPU's name, clock and widest vector unit too: hosts of one name here
    differ (ISNet took 1.2 s on one and 3.2 s on another, whose clock was 2.0
    GHz and which had no AVX-512), and so do the ratios measured on them."""
    cpu = platform.processor() or platform.machine()
    extra = ""
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/cpuinfo").read_text().splitlines() if ":" in line)
        info = {k.strip(): v.strip() for k, v in info.items()}
        flags = set(info.get("flags", "").split())
        vector = "AVX-512" if "avx512f" in flags else "AVX2, no AVX-512" if "avx2" in flags else "no AVX2"
        cpu = info.get("model name", cpu)
        extra = f" ({float(info['cpu MHz']):.0f} MHz, {vector})" if "cpu MHz" in info else f" ({vector})"
    except (OSError, ValueError):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}{extra}, {os.cpu_count()} cores, {mem:.0f} GiB, {platform.system()} {platform.release()}"


def write_section(name: str, title: str, command: str, body: str) -> None:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (f"<!-- bench:{name} -->\n## {title}\n\n"
             f"- command: `{command}`\n- machine: {machine()}\n- date: {stamp}\n\n{body.rstrip()}\n"
             f"<!-- /bench:{name} -->\n")
    text = PATH.read_text() if PATH.exists() else HEADER
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block
    PATH.write_text(text)
