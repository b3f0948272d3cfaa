"""The payment checkpoint's GX Data Docs, readable with no network and the same for the same results.

GX 1.x's page templates load their stylesheets and scripts (bootstrap, jQuery, popper,
bootstrap-table and its filter control, bootstrap-datepicker, bootstrap-dark, Font Awesome,
vega) from public CDNs and the logo from GX's web assets bucket, and no setting of the site
builder changes that (a custom views folder is searched after GX's own templates). Offline,
the index's table of validation results, which bootstrap-table draws, stays empty.

So once GX has built the site, `make_offline` copies `data_docs_static/` (the same files, from
the npm packages and versions the CDN addresses name; its README.md lists them and their
licences) to `static/vendor/` of the site and points every page at them, by a path relative to
the page. The vega scripts, which draw GX's charts, are dropped: no page of the checkpoint has a
chart. The logo is GX's own copy in `static/images/`, and a validation page's favicon link,
which GX writes one folder short, is put right.

It also takes out what GX makes differently on every build of the same results: the `?d=`
timestamp on the logo and the random uuid4 of each collapsible block (numbered in page order).
GX's index lists its pages in the order the file system returns them; `SortedSiteIndexBuilder`
lists them by path. What is left to differ is the run's time (GX's run time and batch load time)
and, on the page of a failing expectation on two columns, the order of the two values in GX's
"Unexpected Value" (GX takes the columns from a set).

Imported by the checkpoint only, after GX: this module imports GX.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder

STATIC = Path(__file__).with_name("data_docs_static")
VENDOR = "vendor"  # the folder of static/ that receives data_docs_static/

# Every stylesheet and script GX's templates load from the internet, and its copy (a path in
# data_docs_static/: <package>-<version>/<path in the npm package>).
VENDORED = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap-4.3.1/dist/css/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap-4.3.1/dist/js/bootstrap.min.js"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js-1.12.9/dist/umd/popper.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table-1.19.1/dist/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table-1.19.1/dist/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table-1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    # The index asks for the minified stylesheet, the other pages for the plain one: the same rules.
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table-1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table-1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker-1.9.0/dist/css/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker-1.9.0/dist/js/bootstrap-datepicker.min.js"
    ),
    # The minified build of the same stylesheet (150 KB, not 860 KB).
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark-1.1.0/dist/css/bootstrap-prefers-dark.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free-6.6.0/css/all.min.css"
    ),
}

# vega, vega-lite and vega-embed draw GX's charts; no page of the checkpoint has one.
DROPPED = (
    "https://cdn.jsdelivr.net/npm/vega@5",
    "https://cdn.jsdelivr.net/npm/vega-lite@5",
    "https://cdn.jsdelivr.net/npm/vega-embed@6",
)

# The navigation bar's logo (with a `?d=<now>` query) and, in the inline stylesheet, the dark
# colour scheme's one: GX ships the first in static/images/, which serves for both.
GX_WEB_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
LOGO = "images/logo-long.png"

_SCRIPT = re.compile(r'<script src="(https?://[^"]+)"[^>]*></script>\n?')
_LINK = re.compile(r'(<link\b[^>]*\bhref=")(https?://[^"]+)(")')
_GX_ASSET = re.compile(re.escape(GX_WEB_ASSETS) + r"(?:logo-long|full_logo_dark)\.png(?:\?[^\"')]*)?")
# A page's own links into static/ (GX's favicon link on a validation page is one folder short).
_STATIC_LINK = re.compile(r'((?:src|href)=")(?:\./|(?:\.\./)*)static/')
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
# What a browser would fetch from the internet: a script, stylesheet, image or CSS url().
REMOTE = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)="(https?://[^"]+)"|url\(['"]?(https?://[^'")]+)""")


class SortedSiteIndexBuilder(DefaultSiteIndexBuilder):
    """GX's index builder, listing the expectation suites and validation results in the order of
    their pages' paths (GX lists them in the order the file system returns its folders' files)."""

    def add_resource_info_to_index_links_dict(self, index_links_dict, **resource):
        links = super().add_resource_info_to_index_links_dict(index_links_dict=index_links_dict, **resource)
        for section in [name for name in links if name.endswith("_links")]:
            links[section].sort(key=lambda link: link["filepath"])
        return links


def make_offline(docs_dir: Path) -> list[str]:
    """Point every page of the site in `docs_dir` at local copies of what it loads, and make it
    the same for the same results. Returns what a page still loads from the internet (nothing,
    unless GX's templates changed: tests/test_data_docs.py checks them)."""
    static = docs_dir / "static"
    shutil.copytree(STATIC, static / VENDOR, dirs_exist_ok=True)
    remote: set[str] = set()
    for page in sorted(docs_dir.rglob("*.html")):
        if page.is_relative_to(static):
            continue
        html = _offline(page.read_text(encoding="utf-8"), Path(os.path.relpath(static, page.parent)).as_posix())
        page.write_text(html, encoding="utf-8")
        remote.update(url for match in REMOTE.finditer(html) for url in match.groups() if url)
    return sorted(remote)


def _offline(html: str, static: str) -> str:
    """One page, whose static/ folder is at the relative path `static`."""

    def copy(url: str) -> str:
        return f"{static}/{VENDOR}/{VENDORED[url]}"

    def script(match: re.Match) -> str:
        url = match.group(1)
        if url in DROPPED:
            return ""
        if url in VENDORED:  # without integrity and crossorigin: a file: page cannot check them
            return f'<script src="{copy(url)}"></script>\n'
        return match.group(0)

    def link(match: re.Match) -> str:
        url = match.group(2)
        return f"{match.group(1)}{copy(url) if url in VENDORED else url}{match.group(3)}"

    html = _SCRIPT.sub(script, html)
    html = _LINK.sub(link, html)
    html = _STATIC_LINK.sub(lambda m: f"{m.group(1)}{static}/", html)
    html = _GX_ASSET.sub(f"{static}/{LOGO}", html)
    numbers: dict[str, str] = {}
    return _UUID.sub(lambda m: numbers.setdefault(m.group(0), f"n{len(numbers) + 1}"), html)
