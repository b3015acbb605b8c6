"""A small reader of the pages' HTML, for tests that look inside elements."""

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []
        self.text = ""

    @property
    def classes(self):
        return (self.attrs.get("class") or "").split()

    def find_all(self, tag, cls=None, **attrs):
        """Return the descendants with this tag, class and attribute values."""
        found = []
        for child in self.children:
            if (child.tag == tag and (cls is None or cls in child.classes)
                    and all(child.attrs.get(k.replace("_", "-")) == v
                            for k, v in attrs.items())):
                found.append(child)
            found.extend(child.find_all(tag, cls, **attrs))
        return found

    def find(self, tag, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} class={cls} {attrs}>"
        return found[0]

    def all_text(self):
        return self.text + "".join(child.all_text() for child in self.children)


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("document", [], None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.text += data


def parse(response_or_html):
    """Return the document tree of a response or an HTML string."""
    html = response_or_html
    if not isinstance(html, str):
        html = html.content.decode()
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
