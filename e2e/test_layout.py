"""A phone-sized viewport: nothing overflows sideways, the controls are
reachable with the keyboard, and the result area does not jump when a
result arrives."""

from __future__ import annotations

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
    finally:
        context.close()


def _assert_keyboard_reaches(page, ids):
    page.focus("body")
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement && document.activeElement.id"))
    missing = [i for i in ids if i not in reached and i != "cancel"]  # cancel is disabled when idle
    assert not missing, f"not reachable with Tab: {missing} (reached {reached})"
