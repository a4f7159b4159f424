"""Both published reports (and the executed report notebook) in headless Debian chromium, offline.

Reuses the end-to-end pipeline run of tests/pipeline_project.py. Every request that is not
file:// is aborted and recorded; the context is offline as well.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS
from pipeline_project import pipeline_run

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _open(browser, path: Path, shot: str) -> dict:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_offline(True)
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):  # type: ignore[no-untyped-def]
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0", timeout=30000)
    page.wait_for_timeout(500)
    result = {
        "figures": page.locator("script[data-figure]").count(),
        "plots": page.locator(".js-plotly-plot").count(),
        "plots_with_svg": page.evaluate(
            "[...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg')).length"),
        "bars_or_cells": page.locator(".js-plotly-plot .main-svg .point, .js-plotly-plot .main-svg .hm").count(),
        # axis labels reaching up to a figure's title line (slanted heatmap columns) or out of the figure
        "labels_over_title": page.evaluate("""[...document.querySelectorAll('.js-plotly-plot')].flatMap(p => {
            const t = p.querySelector('.gtitle');
            const top = t ? t.getBoundingClientRect().bottom : p.getBoundingClientRect().top;
            return [...p.querySelectorAll('.xtick text, .ytick text')]
                .filter(e => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().top < top)
                .map(e => e.textContent);
        })"""),
        "errors": errors, "outside": outside, "text": page.inner_text("body"),
    }
    page.screenshot(path=f"/tmp/{shot}.png", full_page=True)
    context.close()
    return result


@pytest.mark.parametrize("name", ["evaluation_report.html", "lessons_learned.html"])
def test_report_renders_offline(browser, tmp_path_factory: pytest.TempPathFactory, name: str) -> None:  # type: ignore[no-untyped-def]
    run = pipeline_run(tmp_path_factory)
    assert run["cold"].ok, run["cold"].error
    seen = _open(browser, run["project"] / "reports" / name, f"cop_{name.split('.')[0]}")
    assert seen["figures"] >= 3
    assert seen["plots"] == seen["figures"] == seen["plots_with_svg"]
    assert seen["bars_or_cells"] > 0
    assert seen["labels_over_title"] == []
    assert seen["errors"] == [] and seen["outside"] == []
    assert "<script>alert(1)</script>" in seen["text"] or name == "lessons_learned.html"


def test_executed_report_notebook_renders_offline(browser, tmp_path_factory: pytest.TempPathFactory) -> None:  # type: ignore[no-untyped-def]
    run = pipeline_run(tmp_path_factory)
    seen = _open(browser, run["cold"].run_dir / "04_report.html", "cop_04_report_notebook")
    assert seen["plots"] >= 3 and seen["plots"] == seen["plots_with_svg"]
    assert seen["errors"] == [] and seen["outside"] == []


@pytest.mark.parametrize("name", ["evaluation_report.html", "lessons_learned.html"])
def test_report_fits_a_phone_screen(browser, tmp_path_factory: pytest.TempPathFactory, name: str) -> None:  # type: ignore[no-untyped-def]
    """At 390 px nothing sticks out of the page or its sections; charts keep 720 px and scroll sideways."""
    run = pipeline_run(tmp_path_factory)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_offline(True)
    page = context.new_page()
    page.goto((run["project"] / "reports" / name).as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0", timeout=30000)
    seen = page.evaluate("""() => ({
        page: document.documentElement.scrollWidth,
        outside: [...document.querySelectorAll('section .card, section blockquote, section .stat, section .lesson')]
            .filter(e => e.getBoundingClientRect().right > e.closest('section').getBoundingClientRect().right + 0.5)
            .map(e => e.className || e.tagName),
        plots: [...document.querySelectorAll('.plot')].map(p => p.getBoundingClientRect().width),
        scrolls: [...document.querySelectorAll('.figure')].filter(f => f.scrollWidth > f.clientWidth).length,
    })""")
    page.screenshot(path=f"/tmp/cop_phone_{name.split('.')[0]}.png")
    context.close()
    assert seen["page"] <= 390
    assert seen["outside"] == []
    assert seen["plots"] and min(seen["plots"]) >= 720 and seen["scrolls"] == len(seen["plots"])
