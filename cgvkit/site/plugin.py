"""`cgvkit-safe`, the kit's MkDocs plugin: every page of the site is inert, whoever runs MkDocs.

mkdocs.yml declares it (`plugins: - cgvkit-safe`, refused without it by mkdocsconfig.check_config) and
pyproject.toml registers it under MkDocs' `mkdocs.plugins` entry points, so `python build.py site`,
`python build.py serve`, a bare `mkdocs build` and a bare `mkdocs serve` build the same pages. It works
through MkDocs' documented events only:

- `on_config`: SafeMarkdownExtension joins the Markdown extensions (handlers, script links and
  remote images are taken out while the Markdown is parsed, raw HTML included);
- `on_files`: an HTML or SVG file of docs/ copied as it is is cleaned like a page;
- `on_page_content`, last: the page's HTML goes through nh3 (the ammonia sanitiser) with an
  allowlist of the tags and attributes the site's pages need; the page's title, its front matter's
  texts and its table of contents, which the theme prints as HTML, are reduced to text;
- `on_post_page`, last: the whole page, theme included, loses any event handler or script link;
- `on_post_build`, after the search and offline plugins: the search index also holds every accented
  word without its accents (searchfold.py);
- `on_serve` (a bare `mkdocs serve`): a request whose Host header is not the address served gets 421,
  as with `python build.py serve` (hosts.py). MkDocs' API reference documents the server it passes,
  `mkdocs.livereload.LiveReloadServer`, as a `wsgiref.simple_server.WSGIServer`: its application is
  wrapped through that class's public `get_app()` and `set_app()`.
"""

from __future__ import annotations

import re
from pathlib import Path

import nh3
from mkdocs.plugins import BasePlugin, event_priority

from cgvkit.site.hosts import host_allowed
from cgvkit.site.safemarkdown import SafeMarkdownExtension, inert_html, local_url, safe_url
from cgvkit.site.searchfold import fold_search_index

NAME = "cgvkit-safe"

# ammonia's own allowlist of text tags, plus what the site's pages need: the ladder's inline SVG,
# pymdownx.tasklist and pymdownx.tabbed controls. Never script, style, iframe, object, form,
# foreignObject, use or animation elements.
SVG_TAGS = {"svg", "g", "line", "circle", "rect", "ellipse", "path", "polyline", "polygon", "text", "tspan",
            "title", "desc"}
TAGS = set(nh3.ALLOWED_TAGS) | SVG_TAGS | {"input", "label"}
SVG_PAINT = {"fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-dasharray", "opacity",
             "fill-opacity", "stroke-opacity", "transform"}
SVG_TEXT = {"font-family", "font-size", "font-weight", "font-style", "text-anchor", "text-decoration",
            "dominant-baseline", "x", "y", "dx", "dy"}
ATTRIBUTES = {
    # `style` keeps only `text-align` (FILTERED_STYLE); no `data-*`: the theme's scripts read `data-md-*`.
    "*": {"id", "class", "title", "lang", "dir", "role", "style"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "align", "loading"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan", "align", "headers"},
    "th": {"colspan", "rowspan", "align", "headers", "scope"},
    "col": {"span", "align"},
    "colgroup": {"span", "align"},
    "time": {"datetime"},
    "details": {"open"},
    "input": {"checked", "disabled", "name"},
    "label": {"for"},
    "svg": {"viewBox", "xmlns", "width", "height", "preserveAspectRatio"} | SVG_PAINT | SVG_TEXT,
    "g": SVG_PAINT | SVG_TEXT,
    "line": {"x1", "y1", "x2", "y2"} | SVG_PAINT,
    "circle": {"cx", "cy", "r"} | SVG_PAINT,
    "ellipse": {"cx", "cy", "rx", "ry"} | SVG_PAINT,
    "rect": {"x", "y", "width", "height", "rx", "ry"} | SVG_PAINT,
    "path": {"d"} | SVG_PAINT,
    "polyline": {"points"} | SVG_PAINT,
    "polygon": {"points"} | SVG_PAINT,
    "text": SVG_TEXT | SVG_PAINT,
    "tspan": SVG_TEXT | SVG_PAINT,
}
FILTERED_STYLE = {"text-align"}  # tables' column alignment
URL_SCHEMES = {"http", "https", "mailto", "tel"}  # no data: URL anywhere (the site uses none)
# Ids the theme's own elements carry (`__config`, `__drawer`, `__search`…): a page element with one of
# them would come first in the document and be read by the theme's scripts instead.
_THEME_ID = re.compile(r"^__(?!tabbed_\d)")


def _attribute(tag: str, name: str, value: str) -> str | None:
    """Second filter after the allowlist: resources only from the site, no theme id, no link that runs."""
    if name in ("src", "srcset") and not local_url(value):
        return None
    if name == "href" and not safe_url(value):
        return None
    if name in ("id", "for", "name") and _THEME_ID.match(value):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_attribute, link_rel=None, url_schemes=URL_SCHEMES,
    generic_attribute_prefixes={"aria-"}, filter_style_properties=FILTERED_STYLE,
    tag_attribute_values={"input": {"type": {"checkbox", "radio"}}})


def clean_html(html: str) -> str:
    """An HTML fragment reduced to the allowlist."""
    return _CLEANER.clean(html)


def clean_text(text: str | None) -> str | None:
    """A title the theme prints as HTML: its text only (markup dropped, `<` `>` `&` escaped)."""
    return None if text is None else nh3.clean(str(text), tags=set())


def clean_svg(svg: str) -> str:
    """A standalone SVG file: the allowlist, then XML again (`&nbsp;` is no XML entity)."""
    return clean_html(svg).replace("&nbsp;", "&#160;")


def host_checked(app, host: str, port: int):
    """The WSGI application `app`, answering only requests whose one Host header is `host`:`port`."""
    def checked(environ, start_response):
        header = environ.get("HTTP_HOST", "")
        if header and "," not in header and host_allowed(header, host, port):  # wsgiref joins repeated headers
            return app(environ, start_response)
        shown = f"[{host}]" if ":" in host else host
        start_response("421 Misdirected Request" if header else "400 Bad Request",
                       [("Content-Type", "text/plain; charset=utf-8")])
        return [f"hôte refusé : ce serveur ne répond qu’à son adresse, http://{shown}:{port}/\n".encode()]
    return checked


class SafePlugin(BasePlugin):
    """The MkDocs plugin `cgvkit-safe` (see the module's docstring)."""

    def on_config(self, config):
        config.markdown_extensions.append(SafeMarkdownExtension())
        return config

    @event_priority(-100)
    def on_files(self, files, *, config):
        for file in files:
            suffix = file.src_uri.rsplit(".", 1)[-1].lower()
            if file.is_documentation_page() or suffix not in ("html", "htm", "xhtml", "svg"):
                continue
            file.content_string = clean_svg(file.content_string) if suffix == "svg" else \
                clean_html(file.content_string)
        return files

    @event_priority(-100)
    def on_page_content(self, html, *, page, config, files):
        page.title = clean_text(page.title)
        for key, value in page.meta.items():  # the theme prints `title`, `description`… as they are
            if isinstance(value, str):
                page.meta[key] = clean_text(value)
        stack = list(page.toc)
        while stack:
            item = stack.pop()
            item.title = clean_text(item.title)
            stack.extend(item.children)
        return clean_html(html)

    @event_priority(-100)
    def on_post_page(self, output, *, page, config):
        return inert_html(output)

    @event_priority(-110)  # after the offline plugin (-100) has wrapped the index in a script
    def on_post_build(self, *, config):
        fold_search_index(Path(config.site_dir))

    def on_serve(self, server, *, config, builder):
        host, port = config.dev_addr
        server.set_app(host_checked(server.get_app(), host, port))
        return server
