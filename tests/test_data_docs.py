"""The payment checkpoint's GX Data Docs read with no network (pbr_pipeline/payments/data_docs.py).

The pages of a real run (the acceptance scenario's `pbr run`) and of a failing checkpoint are
opened from file:// in headless chromium with the network off: an offline context whose every
request that is not a file of the site is aborted and recorded. The index's table of validation
results, which bootstrap-table draws, must have its rows; a validation page its results; and
nothing may be asked of the internet, in the light colour scheme or the dark. Two builds of the
same checkpoint write the same files, but for the run's time.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import great_expectations
import pytest
from playwright.sync_api import expect

from pbr_pipeline.payments import data_docs
from pbr_pipeline.payments.checkpoint import run_payment_checkpoint
from pbr_pipeline.progress import range_label
from tests.browser import OfflinePage, chromium
from tests.conftest import ACCEPTANCE_WINDOWS, REPO
from tests.test_checkpoint import BAD_CASES, WINDOW, build_warehouse

FRAMES = [
    "columns",
    "contract_cap_positions",
    "cumulative",
    "entitlements",
    "payment_lines",
    "provider_net",
    "statement_vs_lines",
]
ENTITLEMENT_CHECKS = [
    "entitlements: a schedule in force bounds the amount",
    "entitlements: gross >= 0",
    "entitlements: gross <= bound of its band and schedule",
    "entitlements: payable <= gross",
    "entitlements: payable >= 0",
]
GX_VIEW = Path(great_expectations.__file__).parent / "render" / "view"


# --- What GX's templates load, and the copies. ------------------------------------------------

# Addresses in GX's templates that are links to follow, not files a page loads.
LINKS = re.compile(r"""(?:<a [^>]*href="|\]\()(https?://[^"')]+)""")
ADDRESS = re.compile(r"""https?://[^\s"'<>)]+""")


def test_every_address_a_gx_page_loads_from_has_a_local_copy_or_is_dropped():
    # A GX upgrade that changes a CDN address (a new bootstrap-table, say) fails here.
    sources = [*sorted((GX_VIEW / "templates").glob("*.j2")), *sorted((GX_VIEW / "static" / "styles").glob("*.css"))]
    loaded = set()
    for source in sources:
        text = source.read_text(encoding="utf-8")
        links = {match.group(1) for match in LINKS.finditer(text)}
        loaded |= {url for url in ADDRESS.findall(text) if url not in links}

    gx_assets = {url for url in loaded if url.startswith(data_docs.GX_WEB_ASSETS)}
    assert loaded - gx_assets == set(data_docs.VENDORED) | set(data_docs.DROPPED)
    # The logo: the navigation bar's (the bucket, then the file's name) and the dark scheme's.
    assert gx_assets == {data_docs.GX_WEB_ASSETS, data_docs.GX_WEB_ASSETS + "full_logo_dark.png"}


def sri(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def test_the_copies_are_the_files_gx_names_with_their_licences():
    for target in data_docs.VENDORED.values():
        assert (data_docs.STATIC / target).is_file(), target
    # Font Awesome's stylesheet finds its fonts beside it (the woff2 files; browsers take those first).
    fonts = re.findall(
        r"url\(\.\./webfonts/([\w-]+\.woff2)\)",
        (data_docs.STATIC / "fontawesome-free-6.6.0/css/all.min.css").read_text(),
    )
    assert fonts and all((data_docs.STATIC / "fontawesome-free-6.6.0/webfonts" / font).is_file() for font in fonts)
    # Where GX pins a script by its hash (subresource integrity), the copy has that hash.
    imports = (GX_VIEW / "templates" / "js_script_imports.j2").read_text()
    pinned = dict(re.findall(r'src="(https://[^"]+)" integrity="(sha384-[^"]+)"', imports))
    assert len(pinned) == 2
    for url, digest in pinned.items():
        assert sri(data_docs.STATIC / data_docs.VENDORED[url]) == digest, url
    # Each package's licence travels with it (popper.js states its MIT licence in the file's header).
    for package in sorted(p for p in data_docs.STATIC.iterdir() if p.is_dir()):
        if package.name == "popper.js-1.12.9":
            assert "Distributed under the MIT License" in (package / "dist/umd/popper.min.js").read_text()[:200]
        else:
            assert [*package.glob("LICENSE*")], package.name
    readme = (data_docs.STATIC / "README.md").read_text()
    assert all(package.name in readme for package in data_docs.STATIC.iterdir() if package.is_dir())


# --- The pages in a browser with the network off. ---------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def styled_and_scripted(page) -> None:
    """Bootstrap's stylesheet laid the page out, its scripts ran, and Font Awesome's font drew the icons."""
    assert page.evaluate("getComputedStyle(document.querySelector('.row')).display") == "flex"
    assert page.locator(".bootstrap-table").count() >= 1  # bootstrap-table (jQuery) wrapped the tables
    page.evaluate("document.fonts.ready")
    loaded = page.evaluate(
        "Array.from(document.fonts).filter(f => f.family.includes('Font Awesome') && f.status === 'loaded').length"
    )
    assert loaded >= 1


def results_rows(page) -> dict[str, str]:
    """The validation page's results: expectation -> its status icon's class."""
    rows = {}
    for row in page.locator("table[data-search] > tbody > tr").all():
        cells = row.locator("td")
        expectation = cells.nth(1).inner_text().strip().splitlines()[0]  # then any offending rows
        rows[expectation] = cells.nth(0).locator("i").get_attribute("class")
    return rows


@pytest.fixture
def offline(browser, tmp_path):
    pages = []

    def open_site(site: Path, color_scheme: str = "light") -> OfflinePage:
        pages.append(OfflinePage(browser, site, color_scheme))
        return pages[-1]

    yield open_site
    for page in pages:
        page.close()


def test_the_offline_browser_stops_and_records_a_request_to_the_internet(offline, tmp_path):
    # The guard the tests below rely on: a page that loads a script from a CDN is caught.
    (tmp_path / "remote.html").write_text('<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>ok')
    browser = offline(tmp_path)
    browser.open(tmp_path / "remote.html")
    assert sorted(set(browser.remote)) == ["https://code.jquery.com/jquery-3.7.1.min.js"]


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_data_docs_of_a_real_run_read_with_the_network_off(acceptance_run, offline, color_scheme, tmp_path):
    site = acceptance_run.root / "validation" / range_label(list(ACCEPTANCE_WINDOWS))
    assert site.name == "2012-04..2014-06"
    browser = offline(site, color_scheme)
    page = browser.open(site / "index.html")

    table = page.locator("table.ge-index-page-validation-results-table")
    rows = table.locator("tbody > tr")
    assert rows.count() == len(FRAMES)
    header = [cell.strip() for cell in table.locator("thead th .th-inner").all_inner_texts()]
    assert header == ["Status", "Run Time", "Run Name", "Asset Name", "Batch ID", "Expectation Suite"]
    asset = header.index("Asset Name")
    assert sorted(rows.nth(i).locator("td").nth(asset).inner_text() for i in range(len(FRAMES))) == FRAMES
    assert {rows.nth(i).locator("td").nth(2).inner_text() for i in range(len(FRAMES))} == {"payments-" + site.name}
    assert table.locator("tbody i.fa-check-circle").count() == len(FRAMES)
    shown = page.locator("#Validation-Results .pagination-info")
    assert shown.inner_text().strip() == f"Showing 1 to {len(FRAMES)} of {len(FRAMES)} rows"
    styled_and_scripted(page)
    page.screenshot(path=str(tmp_path / "index.png"), full_page=True)

    # A row opens its validation page (bootstrap-table's click event, through jQuery).
    rows.filter(has_text="entitlements").first.click()
    page.wait_for_url(re.compile(r".*/validations/entitlements/.*/warehouse-entitlements\.html$"))
    page.wait_for_load_state("load")
    results = results_rows(page)
    assert sorted(results) == sorted(ENTITLEMENT_CHECKS)
    assert all("fa-check-circle" in icon for icon in results.values())
    assert page.get_by_text("Succeeded").first.is_visible()
    styled_and_scripted(page)
    # The collapsible block (its id numbered, not a random uuid) opens with bootstrap's script.
    run_name = page.get_by_text("payments-" + site.name, exact=True)
    assert not run_name.is_visible()
    page.get_by_text("Show more info...").click()
    run_name.wait_for(state="visible")
    page.screenshot(path=str(tmp_path / "validation.png"), full_page=True)

    browser.assert_nothing_left_the_machine()


def checkpoint(tmp_path: Path, *changes: str):
    con = duckdb.connect(str(build_warehouse(tmp_path / "w.duckdb", *changes)), read_only=True)
    try:
        return run_payment_checkpoint(con, [WINDOW], tmp_path / "validation" / WINDOW)
    finally:
        con.close()


def test_a_failing_expectation_shows_its_rows_with_the_network_off(offline, tmp_path):
    changes, expectation, _ = BAD_CASES["payable above gross"]
    result = checkpoint(tmp_path, *changes)
    assert not result.success
    site = result.docs_index.parent
    browser = offline(site)
    page = browser.open(site / "index.html")
    rows = page.locator("table.ge-index-page-validation-results-table tbody > tr")
    failed = rows.filter(has=page.locator("i.fa-times"))
    # payable above gross also breaks the line's cumulative amount
    assert sorted(failed.all_inner_texts()) == [
        text for text in sorted(rows.all_inner_texts()) if "cumulative" in text or "entitlements" in text
    ]
    assert failed.count() == 2

    failed.filter(has_text="entitlements").click()
    page.wait_for_url(re.compile(r".*/warehouse-entitlements\.html$"))
    results = results_rows(page)
    assert "fa-times" in results[expectation]
    assert sum("fa-check-circle" in icon for icon in results.values()) == len(ENTITLEMENT_CHECKS) - 1
    # GX's table of the offending rows, under the failing expectation.
    row = page.locator("table[data-search] > tbody > tr", has_text=expectation)
    unexpected = row.locator("table").filter(has_text="J1|ATTACHMENT|")
    assert unexpected.count() >= 1 and "10001" in unexpected.first.inner_text()
    page.get_by_text("Failed Only").click()  # the page's own script (jQuery) hides what passed
    expect(page.locator("table[data-search] > tbody > tr:visible")).to_have_count(1)
    styled_and_scripted(page)
    page.screenshot(path=str(tmp_path / "failed.png"), full_page=True)
    browser.assert_nothing_left_the_machine()


# --- The same results, the same files. --------------------------------------------------------

BUILD = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from tests.test_data_docs import checkpoint
checkpoint(Path(sys.argv[1]), *{changes!r})
"""


def site_files(site: Path) -> dict[str, bytes]:
    """The site's files, with the run's time (GX's run time and batch load time) masked."""
    run_folder = next((site / "validations").glob("*/*/*")).name  # e.g. 20261202T010438.362501Z
    stamp = re.match(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)\.(\d{6})Z$", run_folder)
    assert stamp, run_folder
    y, mo, d, h, mi, s, _ = stamp.groups()
    times = [run_folder, f"{y}-{mo}-{d} {h}:{mi}:{s} UTC", f"{y}-{mo}-{d}T{h}:{mi}:{s}Z"]
    files = {}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for time in times:
            data = data.replace(time.encode(), b"<run time>")
        data = re.sub(rb"'_run_time_sort': [\d.]+", b"'_run_time_sort': <run time>", data)
        data = re.sub(rb"(ge_load_time</span>(?:\s|<[^>]*>)*)\d{8}T\d{6}\.\d{6}Z", rb"\1<load time>", data)
        files[str(path.relative_to(site)).replace(run_folder, "<run time>")] = data
    return files


def test_two_builds_of_the_same_results_write_the_same_files_but_for_the_run_time(tmp_path):
    # A failing expectation on one column, so that a page shows a table of offending rows (on
    # two columns, GX orders the pair in "Unexpected Value" by the hash seed: not ours to fix).
    changes, _, _ = BAD_CASES["personal column in a mart"]
    # GX took its orders from sets and the file system: one build here, one in a process with
    # another hash seed.
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    for name in ("here", "there"):
        (tmp_path / name).mkdir()
    checkpoint(tmp_path / "here", *changes)
    script = BUILD.format(repo=str(REPO), changes=changes)
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "there")], env=env, check=True, cwd=REPO)
    builds = [site_files(tmp_path / name / "validation" / WINDOW) for name in ("here", "there")]

    assert sorted(builds[0]) == sorted(builds[1])
    differ = {
        name: [line for line in difflib.ndiff(*(b[name].decode().splitlines() for b in builds)) if line[0] in "+-"]
        for name in builds[0]
        if builds[0][name] != builds[1][name]
    }
    assert differ == {}
    html = b"".join(data for name, data in builds[0].items() if name.endswith(".html"))
    assert b"<run time>" in html and b"<load time>" in html  # the masks matched: the comparison compared
    assert not re.search(rb"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", html)
