"""For real: JupyterLab on localhost, the workbench notebook in headless Chromium, clicks land in the ledger
(coding panel, then a consensus decision in the "Compare coders" panel)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import CHROMIUM_ARGS
from workbench_project import make_project

from cop_analysis.config import ProjectConfig
from cop_analysis.ledger import Ledger

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(shutil.which("chromium") is None,
                                 reason="Debian chromium not installed (apt-get install chromium)")]
REPO = Path(__file__).resolve().parents[1]
SCREENSHOT = Path("/tmp/workbench_browser.png")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server (venv kernel, empty token) rooted at a small project with the notebook copied in."""
    root = make_project(tmp_path / "proj")
    (root / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "coding_workbench.ipynb", root / "notebooks")
    port = _free_port()
    jupyter_home = tmp_path / "jupyter"  # isolated settings, workspaces and runtime files
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(jupyter_home / "config"),
           "JUPYTER_DATA_DIR": str(jupyter_home / "data"), "JUPYTER_RUNTIME_DIR": str(jupyter_home / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(jupyter_home / "workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(jupyter_home / "settings"), "HF_HUB_OFFLINE": "1"}
    settings = {"notebook-extension/tracker": {"autoStartDefaultKernel": True},  # no "Select Kernel" dialog
                "apputils-extension/notification": {"fetchNews": "false"}}
    for name, values in settings.items():
        path = jupyter_home / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    log = (tmp_path / "jupyter.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--IdentityProvider.token=",
         "--ServerApp.password=", "--ServerApp.ip=127.0.0.1", f"--port={port}", f"--ServerApp.root_dir={root}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        + (["--allow-root"] if os.geteuid() == 0 else []),
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "jupyter.log").read_text()
                time.sleep(0.5)
        yield url, root
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # the server and the kernels it started
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()


@contextlib.contextmanager
def workbench_page(url: str, viewport: dict[str, int], screenshot: str | Path) -> Iterator[Any]:
    """Headless Debian chromium on the workbench notebook, all cells run; a full-page screenshot at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=viewport)
        try:
            page.goto(f"{url}/lab/tree/notebooks/coding_workbench.ipynb")
            page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)  # kernel up and connected
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            yield page
        finally:
            page.screenshot(path=str(screenshot), full_page=True)  # the panel as the coder saw it
            browser.close()


def poll_codings(path: Path, n: int, timeout: float = 30.0) -> pd.DataFrame:
    """The ledger's codings once it holds ``n`` rows (the kernel writes them; we read from outside)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = Ledger(path).codings()
        if len(rows) == n or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)


def test_click_in_jupyterlab_writes_the_ledger(lab: tuple[str, Path]) -> None:
    url, root = lab
    cfg = ProjectConfig.load(root)
    segments = pd.read_parquet(cfg.processed / "segments.parquet")
    turn = segments[(segments["speaker"] == "Maya") & (segments["unit"] == "turn")].iloc[0]
    harm = segments[(segments["parent_id"] == turn["segment_id"])].sort_values("start").iloc[1]
    Ledger(cfg.ledger_path).add_suggestions(pd.DataFrame({
        "segment_id": [turn["segment_id"]], "code_id": ["trust"], "score": [0.87], "method": ["rules"],
        "evidence": ["matched: trust"]}))
    with workbench_page(url, {"width": 1400, "height": 1100}, str(SCREENSHOT)) as page:
        trust = page.locator("button.widget-button", has_text="Trust")
        trust.wait_for(timeout=60_000)
        coder = page.get_by_placeholder("your name")
        coder.fill("maya")
        coder.press("Enter")
        page.get_by_text("0 / 9 coded", exact=True).wait_for(timeout=20_000)  # the kernel took the coder
        page.get_by_label("Speaker", exact=True).select_option("Maya")
        page.get_by_text("0 / 2 coded", exact=True).wait_for(timeout=20_000)
        page.get_by_label("Apply to", exact=True).select_option(index=2)
        page.locator(".cop-wb-current mark", has_text="We finally named the harm").wait_for(timeout=20_000)
        page.locator("button.widget-button", has_text="Harm").click()
        rows = poll_codings(cfg.ledger_path, 1)
        assert rows[["segment_id", "code_id", "coder", "span_start", "span_end"]].values.tolist() == [
            [turn["segment_id"], "harm", "maya", harm["start"], harm["end"]]]
        page.get_by_label("Apply to", exact=True).select_option(index=0)
        page.get_by_text("Trust 0.87", exact=True).wait_for(timeout=20_000)  # the suggestion chip
        trust.click()
        rows = poll_codings(cfg.ledger_path, 2)
        assert rows[["code_id", "coder"]].values.tolist() == [["harm", "maya"], ["trust", "maya"]]
        assert rows["span_start"].isna().tolist() == [False, True]
        page.get_by_text("1 / 2 coded", exact=True).wait_for(timeout=20_000)
        page.locator("button.widget-button", has_text="Trust (1)").wait_for(timeout=20_000)  # the count
        informative = page.locator("button.widget-button", has_text="Most informative next")
        assert informative.evaluate("b => b.scrollWidth <= b.clientWidth")  # the label is not cut
        page.get_by_text("Retrieve coded passages", exact=True).click()  # the retrieval fold-out
        page.get_by_label("Code", exact=True).select_option(label="Harm")
        page.locator(".cop-wb-quote", has_text="We finally named the harm").wait_for(timeout=20_000)
        page.locator("button.widget-button", has_text="Go").first.click()
        page.locator(".cop-wb-current mark", has_text="We finally named the harm").wait_for(timeout=20_000)
        state = json.loads((cfg.processed / "workbench_state.json").read_text())
        assert state["last_coder"] == "maya" and state["coders"]["maya"]["filters"]["speaker"] == "Maya"
        page.get_by_title("Undo your last action", exact=True).click()  # not Compare coders' undo
        page.get_by_text("Undid: code Trust", exact=True).wait_for(timeout=20_000)
        assert poll_codings(cfg.ledger_path, 1)["code_id"].tolist() == ["harm"]
        page.get_by_title("Redo the action you last undid", exact=True).click()  # enabled once there is an undo
        page.get_by_text("Redid: code Trust", exact=True).wait_for(timeout=20_000)
        assert poll_codings(cfg.ledger_path, 2)["code_id"].tolist() == ["harm", "trust"]
        Ledger(cfg.ledger_path).code(turn["segment_id"], "trust", "ben")  # a second coder: agrees on trust only
        page.locator("button.widget-button", has_text="Refresh").click()  # the "Compare coders" cell
        page.get_by_text("0 / 1 adjudicated", exact=True).wait_for(timeout=20_000)
        page.get_by_title("Apply (consensus)", exact=True).click()
        rows = poll_codings(cfg.ledger_path, 4)
        assert rows.loc[rows["coder"] == "consensus", ["segment_id", "code_id"]].values.tolist() == [
            [turn["segment_id"], "harm"]]
        page.get_by_text("1 / 1 adjudicated", exact=True).wait_for(timeout=20_000)


def test_keyboard_shortcuts_code_and_navigate_and_do_not_reach_jupyterlab(lab: tuple[str, Path]) -> None:
    """With the pointer on the segment (ipyevents), keys go to the panel: 1 codes, j moves, u undoes;
    JupyterLab's notebook shortcuts (b: new cell, 1: heading, j: next cell) do not fire."""
    url, root = lab
    cfg = ProjectConfig.load(root)
    with workbench_page(url, {"width": 1400, "height": 1100}, str(SCREENSHOT.with_name("workbench_keys.png"))) as page:
        page.locator("button.widget-button", has_text="1 Trust").wait_for(timeout=60_000)  # numbered
        page.get_by_text("Keys (pointer over the codes", exact=False).wait_for(timeout=20_000)  # legend
        coder = page.get_by_placeholder("your name")
        coder.fill("maya")
        coder.press("Enter")
        page.get_by_text("0 / 9 coded", exact=True).wait_for(timeout=20_000)
        cells = page.locator(".jp-Notebook .jp-Cell")
        n_cells = cells.count()
        active = page.locator(".jp-Notebook .jp-Cell.jp-mod-active").first.inner_text()[:200]
        markdown = page.locator(".jp-Notebook .jp-MarkdownCell").count()
        page.get_by_text("1 / 9", exact=True).wait_for(timeout=20_000)  # the position line
        first = page.locator(".cop-wb-current").first.inner_text()
        page.locator(".cop-wb-keys").first.hover()  # the code buttons (the segment text stays copyable)
        page.keyboard.press("1")
        rows = poll_codings(cfg.ledger_path, 1)
        assert rows[["code_id", "coder"]].values.tolist() == [["trust", "maya"]]
        page.locator("button.widget-button", has_text="1 Trust (1)").wait_for(timeout=20_000)
        page.keyboard.press("j")
        page.get_by_text("2 / 9", exact=True).wait_for(timeout=20_000)
        assert page.locator(".cop-wb-current").first.inner_text() != first
        page.keyboard.press("b")
        page.keyboard.press("u")  # undo goes back to the unit it changed
        page.get_by_text("Undid: code Trust", exact=True).wait_for(timeout=20_000)
        assert poll_codings(cfg.ledger_path, 0).empty
        page.get_by_text("1 / 9", exact=True).wait_for(timeout=20_000)
        page.wait_for_timeout(500)
        assert cells.count() == n_cells  # b added no cell
        assert page.locator(".jp-Notebook .jp-MarkdownCell").count() == markdown  # 1 made no heading
        assert page.locator(".jp-Notebook .jp-Cell.jp-mod-active").first.inner_text()[:200] == active  # j, k
        memo = page.get_by_placeholder("Memo on this segment", exact=False)
        memo.click()  # the memo box is no shortcut zone: keys type text there
        page.keyboard.type("jb1 u")
        assert memo.input_value() == "jb1 u" and poll_codings(cfg.ledger_path, 0).empty
        assert cells.count() == n_cells
        # the control: the same key with the pointer and focus on the notebook is JupyterLab's
        page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
        page.mouse.move(5, 300)  # off the panel
        page.keyboard.press("Escape")
        page.keyboard.press("b")
        page.wait_for_function(f"document.querySelectorAll('.jp-Notebook .jp-Cell').length == {n_cells + 1}",
                               timeout=20_000)


def test_layout_keeps_navigation_and_position_in_view_after_next(lab: tuple[str, Path]) -> None:
    """In an 1100 x 900 window: after Next, the new position and the Next button are still on screen and the
    Next button has not moved; the code buttons sit right of the segment text; they are greyed out until
    a coder is chosen. Screenshot: /tmp/wblayout.png."""
    url, root = lab
    with workbench_page(url, {"width": 1100, "height": 900}, "/tmp/wblayout.png") as page:
        trust = page.locator("button.widget-button", has_text="1 Trust")
        trust.wait_for(timeout=60_000)
        assert trust.is_disabled() and trust.get_attribute("title").startswith("choose a coder first")
        coder = page.get_by_placeholder("your name")
        coder.fill("maya")
        coder.press("Enter")
        page.get_by_text("0 / 9 coded", exact=True).wait_for(timeout=20_000)
        page.wait_for_function("!document.querySelector('button.widget-button[title^=\"trust:\"]').disabled",
                               timeout=20_000)
        next_btn = page.locator("button.widget-button", has_text="Next").first
        next_btn.scroll_into_view_if_needed()
        page.get_by_text("1 / 9", exact=True).wait_for(timeout=20_000)
        before = next_btn.bounding_box()
        text, codes = page.locator(".cop-wb-reading").first.bounding_box(), trust.bounding_box()
        assert codes["x"] >= text["x"] + text["width"] - 1 and codes["y"] < text["y"] + text["height"]  # beside
        for step in (2, 3, 4):
            next_btn.click()
            position = page.get_by_text(f"{step} / 9", exact=True)
            position.wait_for(timeout=20_000)
            for box in (position.bounding_box(), next_btn.bounding_box()):
                assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 900, box
            assert next_btn.bounding_box() == before  # the button has not moved
        memo = page.get_by_placeholder("Memo on this segment", exact=False)
        memo.fill("A first memo.")
        page.locator("button.widget-button", has_text="Add memo").click()
        page.locator("button.widget-button", has_text="Delete memo").wait_for(timeout=20_000)
        tag = page.locator(".cop-wb-memo-tag").first
        assert tag.inner_text() == "your memo 1" and tag.bounding_box()["width"] > 20
        page.locator("button.widget-button", has_text="Edit memo").scroll_into_view_if_needed()
        page.screenshot(path="/tmp/wblayout_memo.png")
        next_btn.scroll_into_view_if_needed()
        page.wait_for_timeout(300)


LONG = " ".join(f"Sentence {i} of a long turn about the budget and who decides what." for i in range(1, 41))


@pytest.fixture
def long_lab(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """The lab project with two long turns in a row (each taller than the segment box)."""
    import workbench_project

    monkeypatch.setattr(workbench_project, "TRANSCRIPTS", {**workbench_project.TRANSCRIPTS, "transcripts/long.txt": (
        "2025", [("Lee", "member", LONG), ("Ravi", "member", LONG.replace("budget", "timeline"))])})
    return request.getfixturevalue("lab")


def test_segment_box_opens_at_the_top_and_the_buttons_stay_put(long_lab: tuple[str, Path]) -> None:
    """1100 x 900 with JupyterLab's file browser open: the coder/progress row and the survey context buttons
    fit; a new segment opens at the top of the segment box however far the last one was scrolled (Next, Go);
    coding (a count and a check mark appear) and a status message move no code button.
    Screenshot: /tmp/wb_scroll.png."""
    url, root = long_lab
    with workbench_page(url, {"width": 1100, "height": 900}, "/tmp/wb_scroll.png") as page:
        trust = page.locator("button.widget-button", has_text="1 Trust")
        trust.wait_for(timeout=60_000)
        browser_tab = page.locator(".jp-SideBar .lm-TabBar-tab[data-id='filebrowser']").first
        if not page.locator("#filebrowser").is_visible():
            browser_tab.click()
        page.locator("#filebrowser").wait_for(state="visible", timeout=20_000)
        coder = page.get_by_placeholder("your name")
        coder.fill("maya")
        coder.press("Enter")
        label = page.get_by_text("0 / 11 coded", exact=True)
        label.wait_for(timeout=20_000)
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth"), "the progress label is cut"
        page.get_by_text("1 / 11", exact=True).wait_for(timeout=20_000)  # a survey answer: the context toggle
        one, other = (page.locator("button.jupyter-button", has_text=t).first.bounding_box()
                      for t in ("this respondent", "this question"))
        assert abs(one["y"] - other["y"]) < 2, (one, other)  # side by side, not stacked
        undo, redo = (page.get_by_title(t, exact=True).bounding_box()
                      for t in ("Undo your last action", "Redo the action you last undid"))
        nav = page.locator("button.widget-button", has_text="Next uncoded").bounding_box()
        assert undo["y"] == redo["y"] == nav["y"], (undo, nav)  # one row of navigation

        page.get_by_label("Speaker", exact=True).select_option("Lee")
        page.get_by_text("0 / 1 coded", exact=True).wait_for(timeout=20_000)
        page.get_by_label("Speaker", exact=True).select_option(label="all speakers")  # all; the position stays on Lee
        page.get_by_text("0 / 11 coded", exact=True).wait_for(timeout=20_000)
        scroll = page.locator(".cop-wb-reading .cop-wb-scroll").first
        assert scroll.evaluate("e => e.scrollHeight > e.clientHeight + 100")  # the turn is longer than the box
        scroll.evaluate("e => { e.scrollTop = e.scrollHeight; }")
        assert scroll.evaluate("e => e.scrollTop") > 100
        page.locator("button.widget-button", has_text="Next").first.click()
        page.locator(".cop-wb-current", has_text="about the timeline").wait_for(timeout=20_000)  # Ravi's turn
        top = page.locator(".cop-wb-reading .cop-wb-scroll").first
        assert top.evaluate("e => e.scrollTop") == 0
        box, current = page.locator(".cop-wb-reading").first.bounding_box(), \
            page.locator(".cop-wb-current").first.bounding_box()
        assert box["y"] <= current["y"] < box["y"] + box["height"], (box, current)  # the turn starts in view
        strip = page.locator(".cop-wb-reading .cop-wb-before").first  # the end of Lee's long turn before it
        lee = strip.locator(".cop-wb-who", has_text="Lee").first.bounding_box()
        shown = strip.bounding_box()
        assert shown["y"] <= lee["y"] and lee["y"] + lee["height"] <= shown["y"] + shown["height"], (shown, lee)

        buttons = page.locator(".cop-wb-keys button.widget-button[title*=':']")
        before = [buttons.nth(i).bounding_box() for i in range(buttons.count())]
        trust.click()
        page.locator("button.widget-button", has_text="1 Trust (1)").wait_for(timeout=20_000)
        assert [buttons.nth(i).bounding_box() for i in range(buttons.count())] == before  # count + check: no move
        page.get_by_title("Undo your last action", exact=True).click()
        page.get_by_text("Undid: code Trust", exact=True).wait_for(timeout=20_000)
        assert [buttons.nth(i).bounding_box() for i in range(buttons.count())] == before  # the message: no move

        trust.click()  # code Ravi's turn, scroll it, go elsewhere, then Go back to it from the retrieval
        page.locator("button.widget-button", has_text="1 Trust (1)").wait_for(timeout=20_000)
        page.locator(".cop-wb-reading .cop-wb-scroll").first.evaluate("e => { e.scrollTop = e.scrollHeight; }")
        page.get_by_text("Retrieve coded passages", exact=True).click()
        page.get_by_label("Code", exact=True).select_option(label="Trust")
        page.locator(".cop-wb-quote", has_text="about the timeline").wait_for(timeout=20_000)
        page.locator(".cop-wb-reading .cop-wb-scroll").first.evaluate("e => { e.scrollTop = e.scrollHeight; }")
        page.locator("button.widget-button", has_text="Go").first.click()
        page.wait_for_function("document.querySelector('.cop-wb-reading .cop-wb-scroll').scrollTop === 0",
                               timeout=20_000)
        page.wait_for_timeout(500)
        assert page.locator(".cop-wb-reading .cop-wb-scroll").first.evaluate("e => e.scrollTop") == 0
