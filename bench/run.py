"""`make bench`: run every bench/bench_*.py and write docs/benchmarks.md.

Each benchmark module exposes ``main() -> str`` returning a Markdown section with its command and figures.
``python bench/run.py run`` runs only the modules whose name contains "run".
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, mlgate at {git or 'unknown commit'}")


_MARK = "<!-- bench:{} -->"


def _existing_sections() -> dict[str, str]:
    """The sections already in docs/benchmarks.md, by module, so a partial run replaces only its own."""
    if not OUT.exists():
        return {}
    found: dict[str, str] = {}
    parts = re.split(r"^<!-- bench:(\w+) -->\n", OUT.read_text(encoding="utf-8"), flags=re.M)
    for name, text in zip(parts[1::2], parts[2::2]):
        found[name] = text.strip()
    return found


def main(argv: list[str]) -> int:
    only = argv[1:] if len(argv) > 1 else []
    modules = sorted((ROOT / "bench").glob("bench_*.py"))
    if only:
        modules = [m for m in modules if any(word in m.stem for word in only)]
    sections = _existing_sections() if only else {}
    for path in modules:
        print(f"bench: {path.stem} …", file=sys.stderr, flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        assert spec.loader is not None
        spec.loader.exec_module(module)
        sections[path.stem] = module.main().strip()
        print(sections[path.stem], file=sys.stderr)
    header = (
        "# Benchmarks\n\n"
        f"Written by `make bench` (`python bench/run.py`; `python bench/run.py NAME` reruns one section) "
        f"on {dt.date.today().isoformat()}.\n\n"
        f"Machine: {machine()}.\n\n"
        "Figures are medians of repeated runs unless a section says otherwise. Targets are checked here, "
        "never by timed assertions in the test suite.\n"
    )
    body = "\n\n".join(f"{_MARK.format(name)}\n{text}" for name, text in sorted(sections.items()))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(header + "\n" + body + "\n", encoding="utf-8")
    print(f"bench: wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
