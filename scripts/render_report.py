"""Render mlgate reports as GitHub shows a pull-request comment, and take PNG screenshots of them.

GitHub-flavoured Markdown (markdown-it-py: CommonMark + tables + strikethrough, raw HTML kept as GitHub
keeps <details>), GitHub's stylesheet (npm `github-markdown-css`), Mermaid 11 for ```mermaid fences (npm
`mermaid@11`), in real headless Chromium (Debian package `chromium`), 760 px wide like a PR comment.

    npm install --prefix /tmp/render github-markdown-css mermaid@11     # once
    apt-get install -y chromium                                          # once
    python scripts/render_report.py demo-out/degrade-report.md --assets /tmp/render/node_modules --out shots/

For each report it writes NAME.html, NAME.png (as a reviewer first sees it: <details> folded) and
NAME-open.png (every <details> opened), and prints the paths plus any Mermaid error the page raised.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTH = 760  # the comment column of a pull request on github.com
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1",
]

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>{css}</style>
<style>
  body {{ margin: 0; background: #fff; }}
  .markdown-body {{ box-sizing: border-box; width: {width}px; padding: 16px; }}
</style>
</head><body>
<article class="markdown-body">{body}</article>
<script>{mermaid_js}</script>
<script>
  const OPEN = {open_all};
  window.renderErrors = [];
  for (const code of document.querySelectorAll("pre > code.language-mermaid")) {{
    const div = document.createElement("div");
    div.className = "mermaid";
    div.textContent = code.textContent;
    code.parentElement.replaceWith(div);
  }}
  if (OPEN) for (const d of document.querySelectorAll("details")) d.open = true;
  mermaid.initialize({{ startOnLoad: false, theme: "default", securityLevel: "strict" }});
  mermaid.run({{ querySelector: ".mermaid", suppressErrors: true }})
    .catch(e => window.renderErrors.push(String(e)))
    .finally(() => {{
      for (const e of document.querySelectorAll(".mermaid [aria-roledescription=error], .error-icon"))
        window.renderErrors.push("mermaid error in a diagram");
      document.body.setAttribute("data-height", String(document.documentElement.scrollHeight));
      document.body.setAttribute("data-errors", JSON.stringify(window.renderErrors));
      document.body.setAttribute("data-done", "1");
    }});
</script>
</body></html>
"""


class RenderError(Exception):
    """Rendering cannot go on; the message says what is missing and how to get it."""


def markdown_to_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.render(markdown)


def page(markdown: str, assets: Path, *, open_all: bool, title: str) -> str:
    css = assets / "github-markdown-css" / "github-markdown-light.css"
    js = assets / "mermaid" / "dist" / "mermaid.min.js"
    for path in (css, js):
        if not path.is_file():
            raise RenderError(f"{path}: not found; run `npm install --prefix DIR github-markdown-css mermaid@11` "
                              "and pass --assets DIR/node_modules")
    return PAGE.format(title=html.escape(title), css=css.read_text(encoding="utf-8"), width=WIDTH,
                       body=markdown_to_html(markdown), mermaid_js=js.read_text(encoding="utf-8"),
                       open_all="true" if open_all else "false")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RenderError("chromium not found; install it (Debian: apt-get install -y chromium)")
    return found


def _run(args: list[str], profile: Path) -> str:
    proc = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RenderError(f"chromium exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return proc.stdout


def screenshot(html_path: Path, png: Path) -> tuple[int, list[str]]:
    """Two passes: the DOM after Mermaid ran tells the page's height; then a screenshot of exactly that."""
    with tempfile.TemporaryDirectory(prefix="mlgate-render-") as tmp:
        url = html_path.resolve().as_uri()
        dom = _run(["--virtual-time-budget=15000", "--dump-dom", url], Path(tmp) / "a")
        height = int(m.group(1)) if (m := re.search(r'data-height="(\d+)"', dom)) else 3000
        errors = json.loads(html.unescape(m.group(1))) if (m := re.search(r"data-errors=\"([^\"]*)\"", dom)) else []
        if 'data-done="1"' not in dom:
            errors.append("the page did not finish rendering within the time budget")
        _run(["--virtual-time-budget=15000", f"--window-size={WIDTH},{height}",  # the whole page, however tall
              f"--screenshot={png}", url], Path(tmp) / "b")
    return height, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", type=Path, help="Markdown report files")
    parser.add_argument("--assets", type=Path, default=Path("node_modules"),
                        help="node_modules holding github-markdown-css and mermaid (default: ./node_modules)")
    parser.add_argument("--out", type=Path, default=Path("render-out"), help="directory for .html and .png files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    failed = False
    try:
        for report in args.reports:
            markdown = report.read_text(encoding="utf-8")
            for suffix, open_all in (("", False), ("-open", True)):
                html_path = args.out / f"{report.stem}{suffix}.html"
                html_path.write_text(page(markdown, args.assets, open_all=open_all, title=report.name), encoding="utf-8")
                png = args.out / f"{report.stem}{suffix}.png"
                height, errors = screenshot(html_path, png)
                print(f"{png}  ({WIDTH}×{height} px){'  ERRORS: ' + '; '.join(errors) if errors else ''}")
                failed = failed or bool(errors)
    except (RenderError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"render_report: {exc}", file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
