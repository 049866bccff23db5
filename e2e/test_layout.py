"""A phone-sized viewport: nothing overflows sideways, the controls are
reachable with the keyboard, and the result area does not jump when a
result arrives."""

from __future__ import annotations

from PIL import Image

from .helpers import STAND_IN, cut, open_app


def _box(page, selector):
    return page.eval_on_selector(selector, "el => { const r = el.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }")


def test_phone_width_keyboard_and_no_layout_jumps(browser, app_url, photo, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        page = open_app(context, app_url, f"backend=wasm&{STAND_IN}")
        page.screenshot(path=str(artifacts / "phone-ready.png"), full_page=True)
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"page scrolls sideways at phone width: {width}"
        viewer_before, status_before = _box(page, "#viewer"), _box(page, ".status")
        assert cut(page, photo[0]) == "done", page.text_content("#error")
        assert _box(page, "#viewer") == viewer_before, "the result area moved or resized"
        assert _box(page, ".status") == status_before, "the status area moved or resized"
        page.screenshot(path=str(artifacts / "phone-result.png"), full_page=True)
        _assert_keyboard_reaches(page, ["file", "refine", "best", "backend-choice", "cancel", "viewer", "compare",
                                        "zoom-out", "zoom-fit", "zoom-in", "save-png", "save-webp", "save-mask"])
        page.focus("#compare")
        page.keyboard.press("ArrowLeft")
        assert page.input_value("#compare") == "49"
        _assert_fit_centred_and_zoom_pans(page, Image.open(photo[0]).width)
    finally:
        context.close()


def _assert_fit_centred_and_zoom_pans(page, photo_width):
    """Fitted, the image sits in the middle of the viewer; zoomed in, scrolling
    reaches each of its edges (centring must not push any part out of reach)."""
    vx, vy, vw, vh = _box(page, "#viewer")
    cx, cy, cw, ch = _box(page, "#canvas")
    assert abs((cy - vy) - (vy + vh - cy - ch)) <= 2 and abs((cx - vx) - (vx + vw - cx - cw)) <= 2, \
        f"fitted image not centred: viewer {vx, vy, vw, vh}, image {cx, cy, cw, ch}"
    fitted = page.evaluate("() => { const v = document.getElementById('viewer');"
                           " return [v.scrollWidth - v.clientWidth, v.scrollHeight - v.clientHeight]; }")
    assert fitted == [0, 0], f"the fitted image overflows the viewer by {fitted} px"
    # the zoom label is against the photo's pixels (fitted into a phone's width: below 100%)
    label = page.text_content("#zoom-level")
    assert label.endswith("%") and abs(int(label[:-1]) - 100 * cw / photo_width) <= 1, (label, cw, photo_width)
    for _ in range(3):
        page.click("#zoom-in")
    edges = page.evaluate("""() => {
        const v = document.getElementById("viewer"), c = document.getElementById("canvas");
        const border = v.clientLeft;
        v.scrollTo(0, 0);
        let vr = v.getBoundingClientRect(), cr = c.getBoundingClientRect();
        const start = [cr.left - vr.left - border, cr.top - vr.top - border];
        v.scrollTo(v.scrollWidth, v.scrollHeight);
        vr = v.getBoundingClientRect(); cr = c.getBoundingClientRect();
        const end = [vr.left + border + v.clientWidth - cr.right, vr.top + border + v.clientHeight - cr.bottom];
        return { start, end, overflow: [v.scrollWidth > v.clientWidth, v.scrollHeight > v.clientHeight] };
    }""")
    assert edges["overflow"] == [True, True], edges
    assert all(abs(d) <= 1 for d in edges["start"] + edges["end"]), f"zoomed image not reachable to its edges: {edges}"


def _assert_keyboard_reaches(page, ids):
    page.focus("body")
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement && document.activeElement.id"))
    missing = [i for i in ids if i not in reached and i != "cancel"]  # cancel is disabled when idle
    assert not missing, f"not reachable with Tab: {missing} (reached {reached})"
