import html
import io
import re
from contextlib import contextmanager

import pypdf
from asgiref.local import Local
from django.conf import settings
from django.tasks import task_backends
from django_tasks_db.models import DBTaskResult
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, NameObject

HEADING = re.compile(r"H([1-6])")


def text(response) -> str:
    """The response body with HTML entities decoded, to assert on French messages."""
    return html.unescape(response.content.decode())


def pdf_text(pdf: bytes) -> str:
    """The text of every page on one line, runs of spaces (no-break ones too) as one space:
    lines may break anywhere in a PDF."""
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


# --- the structure tree of a tagged PDF ----------------------------------------------------


def reader_of(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def kids(element: DictionaryObject) -> list:
    found = element.get("/K")
    if found is None:
        return []
    return list(found) if isinstance(found, ArrayObject) else [found]


def structure(element: DictionaryObject):
    """The structure elements under `element`, in reading order (depth first)."""
    for kid in kids(element):
        kid = kid.get_object()
        if isinstance(kid, DictionaryObject) and "/S" in kid:
            yield kid
            yield from structure(kid)


def kind_of(element: DictionaryObject) -> str:
    return str(element["/S"]).removeprefix("/")


class Tagged:
    """What a screen reader finds in a PDF: its catalogue and its structure tree."""

    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf
        self.reader = reader_of(pdf)
        self.root = self.reader.trailer["/Root"]
        tree = self.root["/StructTreeRoot"].get_object()
        self.role_map = tree.get("/RoleMap", {})
        (self.document,) = [kid.get_object() for kid in kids(tree)]
        self.elements = list(structure(self.document))

    def of_kind(self, name: str, within: DictionaryObject | None = None) -> list:
        elements = self.elements if within is None else structure(within)
        return [element for element in elements if kind_of(element) == name]

    def headings(self) -> list[int]:
        return [int(match[1]) for e in self.elements if (match := HEADING.fullmatch(kind_of(e)))]

    def page_ends(self) -> list[DictionaryObject]:
        """For each page but the last, the structure element of its last content in the tree
        (the running header and footer are not in it)."""
        reachable = {id(element) for element in [self.document, *self.elements]}
        nums = self.root["/StructTreeRoot"]["/ParentTree"]["/Nums"]
        by_page = dict(zip(nums[::2], nums[1::2], strict=True))
        ends = []
        for number in range(len(self.reader.pages) - 1):
            marked = [ref.get_object() for ref in by_page[number].get_object()]
            ends.append(next(e for e in reversed(marked) if id(e) in reachable))
        return ends

    def ancestors(self, element: DictionaryObject) -> list[str]:
        names = []
        while element is not self.document and "/P" in element:
            names.append(kind_of(element))
            element = element["/P"].get_object()
        return names


# --- the background queue ---------------------------------------------------------------


def use_tasks_backend(backend: str) -> None:
    """Django keeps its task backends for the life of the process: forget them."""
    task_backends._settings = {"default": {"BACKEND": backend}}
    task_backends.__dict__.pop("settings", None)
    task_backends._connections = Local(task_backends.thread_critical)


@contextmanager
def held_tasks():
    """The block's background work (archived PDFs, e-mails) waits in a queue nobody reads: for
    the set-ups that do not look at it, a second less per archived PDF."""
    use_tasks_backend("django.tasks.backends.dummy.DummyBackend")
    try:
        yield
    finally:
        use_tasks_backend(settings.TASKS["default"]["BACKEND"])


def run_worker() -> list:
    """What the worker does: run the queued jobs due now, in order, and those they queue."""
    results = []
    while job := DBTaskResult.objects.ready().first():  # in the worker's order
        results.append((job.task_path, job.task.call(*job.args_kwargs["args"])))
        job.delete()
    return results


def labelled_pdf(label: str, pages: int) -> bytes:
    """A valid PDF whose pages say `label n`, to find them in the pack."""
    writer = pypdf.PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    for number in range(1, pages + 1):
        page = writer.add_blank_page(595, 842)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        content = ContentStream(None, None)
        content.set_data(b"BT /F1 20 Tf 72 700 Td (%s %d) Tj ET" % (label.encode(), number))
        page.replace_contents(content)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def assert_links_reach_their_pages(reader) -> None:
    """Our documents link to their own sections: in a joined file, each such link points to
    one of its pages (named destinations would clash between parts)."""
    pages = {page.indirect_reference.idnum for page in reader.pages}
    links = [
        annotation.get_object()
        for page in reader.pages
        for annotation in page.get("/Annots", []) or []
        if annotation.get_object().get("/Subtype") == "/Link"
        and "/URI" not in (annotation.get_object().get("/A") or {})
    ]
    for link in links:
        target = link.get("/Dest") or link["/A"]["/D"]
        assert target[0].idnum in pages
