"""A Markdown extension (added by the kit's MkDocs plugin, site/plugin.py) that keeps every page of the site inert.

Whatever a page's Markdown says — clause guidance written by lawyers, data from the project,
hand-written pages — the HTML MkDocs writes carries no event handler (`on…=`), no link or
resource whose scheme runs or embeds something (`javascript:`, `vbscript:`, `data:`, `file:`…)
and no image, frame or script fetched from another machine. It works on the element tree
(after `attr_list`) and on raw HTML blocks, before they are put back into the page.
"""

from __future__ import annotations

import re
from html import escape, unescape
from html.parser import HTMLParser
from xml.etree import ElementTree

from markdown import Extension
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor

LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
                            "cite", "longdesc", "srcset", "ping", "manifest", "codebase", "lowsrc", "dynsrc"})
# Attributes a browser fetches by itself: they must stay inside the site.
FETCHED = frozenset({"src", "data", "poster", "background", "srcset", "lowsrc", "dynsrc", "manifest", "codebase"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f\\\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]+")


def _normal(url: str) -> str:
    """The URL as a browser reads its scheme: entities decoded, blanks, controls and backslashes gone."""
    return _INVISIBLE.sub("", unescape(unescape(url))).lstrip("<").lower()


def safe_url(url: str) -> bool:
    """A link target that only navigates: relative, anchor, or http(s), mailto, tel."""
    found = _SCHEME.match(_normal(url))
    return found is None or found.group(1) in LINK_SCHEMES


def local_url(url: str) -> bool:
    """A resource of the site itself: no scheme, no host (`//host/…`)."""
    normal = _normal(url)
    return _SCHEME.match(normal) is None and not normal.startswith("//")


def safe_attribute(tag: str, name: str, value: str | None) -> bool:
    name = name.lower()
    if name.startswith("on") or name in ("srcdoc", "formaction"):
        return False
    if value is None:
        return True
    if name == "style":
        lowered = _normal(value)
        return not any(word in lowered for word in ("url(", "expression(", "@import", "javascript:"))
    if name in FETCHED or (tag == "link" and name == "href"):
        return all(local_url(part.strip().split(" ")[0]) for part in value.split(",")) if name == "srcset" \
            else local_url(value)
    if name in URL_ATTRIBUTES:
        return safe_url(value)
    return True


class _Tree(Treeprocessor):
    """Elements built from Markdown (and from `md_in_html` blocks)."""

    def run(self, root: ElementTree.Element) -> None:
        inert_tree(root)


def inert_tree(root: ElementTree.Element) -> None:
    """Unsafe attributes removed below `root`; an image left without a source becomes its alt text, a
    link left without a target a plain span (MkDocs expects every link of the tree to have one)."""
    for parent in list(root.iter()):
        for child in list(parent):
            for name in [n for n, v in child.attrib.items() if not safe_attribute(child.tag, n, v)]:
                del child.attrib[name]
                if child.tag == "a" and name == "href":
                    child.tag = "span"
            if child.tag == "img" and "src" not in child.attrib:
                _replace_by_text(parent, child, child.get("alt", ""))


def _replace_by_text(parent: ElementTree.Element, child: ElementTree.Element, text: str) -> None:
    """Remove `child`, its text (the image's alt) kept in its place."""
    index = list(parent).index(child)
    text = text + (child.tail or "")
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text
    parent.remove(child)


class _RawHtml(HTMLParser):
    """Copies raw HTML as written, rewriting only the tags that carry an unsafe attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []

    def _tag(self, tag, attrs, closing: str) -> None:
        raw = self.get_starttag_text() or ""
        kept = [(n, v) for n, v in attrs if safe_attribute(tag, n, v)]
        if len(kept) == len(attrs):
            self.out.append(raw)
        elif tag == "img" and not any(n == "src" for n, _ in kept):
            self.out.append(escape(dict(attrs).get("alt") or ""))
        else:
            self.out.append(f"<{tag}" + "".join(f' {n}="{escape(v, quote=True)}"' if v is not None else f" {n}"
                                                for n, v in kept) + f"{closing}>")

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs, "")

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs, " /")

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        # Outside <script>/<style>, a "<" in data is an unfinished tag flushed at the end: text.
        self.out.append(data if self.cdata_elem else data.replace("<", "&lt;"))

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")


def inert_html(html: str) -> str:
    """Raw HTML with unsafe attributes and remote images removed, everything else as written."""
    parser = _RawHtml()
    parser.feed(html)
    parser.close()
    return "".join(parser.out)


class _Stash(Postprocessor):
    """Raw HTML blocks, cleaned before the raw-HTML postprocessor puts them back."""

    def run(self, text: str) -> str:
        stash = self.md.htmlStash
        for i, block in enumerate(stash.rawHtmlBlocks):
            if isinstance(block, ElementTree.Element):  # md_in_html leftovers
                wrapper = ElementTree.Element("div")
                wrapper.append(block)
                inert_tree(wrapper)
            else:
                stash.rawHtmlBlocks[i] = inert_html(str(block))
        return text


class SafeMarkdownExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's API)
        md.treeprocessors.register(_Tree(md), "cgvkit_inert", 1)  # after attr_list (8) and toc (5)
        md.postprocessors.register(_Stash(md), "cgvkit_inert_raw", 40)  # before raw_html (30)


def makeExtension(**kwargs):  # noqa: N802 (Python-Markdown's entry point)
    return SafeMarkdownExtension(**kwargs)
