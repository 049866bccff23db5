"""Tiny server-rendered pages (emailed-link actions, the test checkout).
No scripts and no inline styles, so they pass the same strict CSP as the app."""

from __future__ import annotations

from html import escape

from litestar import Response, get

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 34rem; margin: 3rem auto; padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.4rem; }
.banner { background: #ffe08a; border: 2px dashed #a66b00; padding: .6rem .8rem; font-weight: 600; }
.warning { background: #fde2e1; border-left: 4px solid #b3261e; padding: .6rem .8rem; }
form { margin: 1.2rem 0; display: flex; gap: .6rem; flex-wrap: wrap; align-items: end; }
label { display: flex; flex-direction: column; font-size: .9rem; }
input { font: inherit; padding: .4rem; }
button { font: inherit; padding: .5rem 1rem; cursor: pointer; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .2rem 1rem; }
"""


def html_page(title: str, body: str, status: int = 200) -> Response[str]:
    """`body` is trusted markup built with `esc` for every variable part."""
    document = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">"
        "<link rel=\"stylesheet\" href=\"/links/style.css\"></head>"
        f"<body><h1>{escape(title)}</h1>{body}<p><a href=\"/\">Back to Cutout Studio</a></p></body></html>"
    )
    return Response(document, status_code=status, media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def form(action: str, fields: dict[str, str], button: str, extra: str = "") -> str:
    hidden = "".join(f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in fields.items())
    return f'<form method="post" action="{esc(action)}">{hidden}{extra}<button type="submit">{esc(button)}</button></form>'


@get("/links/style.css", include_in_schema=False)
async def page_style() -> Response[str]:
    return Response(STYLE, media_type="text/css; charset=utf-8", headers={"Cache-Control": "no-cache"})
