"""A strict structural check of the HTML our templates produce, with the standard library's parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements whose end tag HTML lets an author leave out; our templates close them anyway, so none are listed.


@dataclass
class PageStructure:
    """What a page is made of, for assertions about accessibility and safety."""

    errors: list[str] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    tables: int = 0
    captions: int = 0
    html_lang: str | None = None

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)

    def with_attribute(self, attribute: str) -> list[str]:
        return [name for name, attrs in self.tags if attribute in attrs]


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.structure = PageStructure()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.structure.tags.append((tag, attributes))
        if tag == "html":
            self.structure.html_lang = attributes.get("lang")
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.structure.headings.append(int(tag[1]))
        if tag == "table":
            self.structure.tables += 1
        if tag == "caption":
            self.structure.captions += 1
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.structure.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.structure.errors.append(f"end tag for void element <{tag}>")
            return
        if not self.open or self.open[-1] != tag:
            self.structure.errors.append(f"</{tag}> closes <{self.open[-1] if self.open else 'nothing'}>")
            if tag in self.open:
                while self.open and self.open.pop() != tag:
                    pass
            return
        self.open.pop()

    def close(self) -> None:
        super().close()
        if self.open:
            self.structure.errors.append(f"unclosed elements: {self.open}")


def check_html(text: str) -> PageStructure:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    return checker.structure
