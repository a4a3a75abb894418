"""Several PDFs as one: our own tagged documents and the files users uploaded, joined page by
page (the board pack of a meeting, the submitted application dossier with its annexes).

`join` keeps the structure tree of each of our parts (WeasyPrint tags them, tdi.pdf): each
becomes a /Part of one /Document, its marked content renumbered so that the parent tree stays
one, its identifiers (table headers) made unique. An uploaded PDF is copied page by page
(`clean_pdf`: never its catalogue, no embedded files, no scripts) and its pages stay untagged.

`stamp` prints a line at the bottom of a page (« page N / M »), as an artifact.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    TextStringObject,
)

logger = logging.getLogger(__name__)

# Page actions that run something (scripts, programs, form submissions, other files): dropped
# from the joined pages, with the page's and annotations' additional actions (/AA).
ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/ResetForm",
        "/GoToE",
        "/GoToR",
        "/Rendition",
        "/RichMediaExecute",
        "/Sound",
        "/Movie",
    }
)

# Annotations that carry a file or play media: dropped too (our PDFs embed nothing).
ACTIVE_ANNOTATIONS = frozenset(
    {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
)
# Why an uploaded PDF is not joined.
UNREADABLE = "PDF illisible (fichier endommagé ou non conforme) : non joint."
PROTECTED = "PDF protégé par un mot de passe : non joint."
EMPTY = "PDF sans aucune page : non joint."


@dataclass
class Part:
    """A run of pages of a joined file: one of our (tagged) documents, or an uploaded PDF."""

    reader: PdfReader
    first: int = 0  # its first page in the joined file, from 1
    tagged: bool = False  # its structure tree is kept

    @classmethod
    def of(cls, pdf: bytes) -> Part:
        """One of our documents, as tdi.pdf renders it (tagged)."""
        return cls(PdfReader(io.BytesIO(pdf)), tagged=True)

    @property
    def count(self) -> int:
        return len(self.reader.pages)

    @property
    def last(self) -> int:
        return self.first + self.count - 1

    @property
    def pages(self) -> str:
        """« 4 » or « 4–7 », as a table of contents shows them."""
        return str(self.first) if self.count == 1 else f"{self.first}–{self.last}"


def clean_pdf(content: bytes) -> tuple[PdfReader | None, str]:
    """The pages of an uploaded PDF copied into a new file, upright, without scripted actions;
    or None and why. A damaged file fails here, not while the joined file is written."""
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            return None, PROTECTED
        copy = PdfWriter()
        for page in reader.pages:
            page = copy.add_page(page)
            without_actions(page)
            # A page shown turned (/Rotate) is turned in its content, so that a stamp lands at
            # the bottom of the page as read.
            page.transfer_rotation_to_content()
        output = io.BytesIO()
        copy.write(output)
        clean = PdfReader(output)
        if not clean.pages:
            return None, EMPTY
        for page in clean.pages:  # every page must be readable before it is joined
            page.mediabox  # noqa: B018
    except Exception as error:  # pypdf raises many kinds of errors on a damaged file
        logger.info("PDF déposé illisible : %r", error)
        return None, UNREADABLE
    return clean, ""


def without_actions(page: PageObject) -> None:
    """Drop what would run something when the page or a link is opened, or carry a file."""
    page.pop(NameObject("/AA"), None)
    annotations = page.get("/Annots")
    if annotations is None:
        return
    kept = ArrayObject()
    for reference in annotations.get_object():
        annotation = reference.get_object()
        action = annotation.get("/A")
        if annotation.get("/Subtype") in ACTIVE_ANNOTATIONS or (
            action is not None and action.get_object().get("/S") in ACTIVE_ACTIONS
        ):
            continue
        annotation.pop(NameObject("/AA"), None)
        kept.append(reference)
    page[NameObject("/Annots")] = kept


# --- joining, with the structure of our parts -------------------------------------------------


def join(parts: list[Part], *, title: str, author: str) -> PdfWriter:
    """The parts' pages in order, numbered (Part.first); the tagged parts' structure trees as
    the /Parts of one /Document. The caller adds bookmarks and stamps, then writes."""
    writer = PdfWriter()
    tree = Tree(writer)
    page = 1
    for index, part in enumerate(parts):
        part.first = page
        copies = [writer.add_page(p) for p in part.reader.pages]  # pypdf drops /StructParents
        if part.tagged:
            tree.graft(part.reader, copies, prefix=f"p{index}-")
            resolve_links(part, copies, writer)
        page += part.count
    tree.finish()
    writer.add_metadata(
        {"/Title": title, "/Author": author, "/Creator": "tdi — Territoires d’industrie"}
    )
    root = writer.root_object
    root[NameObject("/Lang")] = TextStringObject("fr-FR")
    root[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): BooleanObject(True)}
    )
    writer.page_mode = "/UseOutlines"
    return writer


def resolve_links(part: Part, copies: list[PageObject], writer: PdfWriter) -> None:
    """Our documents link to their own sections by name (the table of contents); the names of
    two parts would clash in one file, so each link points to its page and place instead."""
    reader = part.reader
    names = reader.named_destinations
    for copy in copies:
        for annotation in copy.get("/Annots", []) or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            holder = action if action is not None and "/D" in action else annotation
            key = "/D" if holder is action else "/Dest"
            target = holder.get(key)
            if not isinstance(target, str) or target not in names:
                continue
            destination = names[target]
            page = writer.pages[part.first - 1 + reader.get_destination_page_number(destination)]
            holder[NameObject(key)] = ArrayObject(
                [
                    page.indirect_reference,
                    NameObject("/XYZ"),
                    NumberObject(int(destination.left or 0)),
                    NumberObject(int(destination.top or 0)),
                    NullObject(),
                ]
            )


class Tree:
    """The structure tree of the joined file, grown one tagged part at a time."""

    def __init__(self, writer: PdfWriter) -> None:
        self.writer = writer
        self.document = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/StructElem"),
                NameObject("/S"): NameObject("/Document"),
            }
        )
        self.document_ref = writer._add_object(self.document)
        self.kids = ArrayObject()
        self.nums = ArrayObject()
        self.ids = ArrayObject()
        self.namespaces: dict[int, IndirectObject] = {}
        self.role_map = DictionaryObject()
        self.next_key = 0
        self.grafted = False

    def graft(self, reader: PdfReader, copies: list[PageObject], *, prefix: str) -> None:
        source = reader.trailer["/Root"].get("/StructTreeRoot")
        if source is None:
            return
        source = source.get_object()
        offset = self.next_key
        highest = -1
        for original, copy in zip(reader.pages, copies, strict=True):
            if "/StructParents" in original:
                key = int(original["/StructParents"])
                copy[NameObject("/StructParents")] = NumberObject(key + offset)
                highest = max(highest, key)
            for annotation in copy.get("/Annots", []) or []:
                annotation = annotation.get_object()
                if "/StructParent" in annotation:
                    key = int(annotation["/StructParent"])
                    annotation[NameObject("/StructParent")] = NumberObject(key + offset)
                    highest = max(highest, key)
        for key, value in number_tree(source.get("/ParentTree")):
            self.nums.append(NumberObject(key + offset))
            self.nums.append(value.clone(self.writer))
            highest = max(highest, key)
        self.next_key = offset + highest + 1
        tops = source["/K"]
        for top in tops if isinstance(tops, ArrayObject) else [source.raw_get("/K")]:
            element = top.clone(self.writer)
            node = element.get_object()
            if node.get("/S") == "/Document":
                node[NameObject("/S")] = NameObject("/Part")
            node[NameObject("/P")] = self.document_ref
            self.kids.append(element if isinstance(element, IndirectObject) else node)
            self.rename_ids(node, prefix)
        for name, role in (source.get("/RoleMap") or {}).items():
            self.role_map[NameObject(name)] = role
        for namespace in source.get("/Namespaces", []) or []:
            copy = namespace.clone(self.writer)
            self.namespaces[copy.idnum if isinstance(copy, IndirectObject) else id(copy)] = copy
        self.grafted = True

    def rename_ids(self, node, prefix: str) -> None:
        """Identifiers (of table header cells) unique across parts, and the cells' /Headers
        naming them renamed alike; the ID tree lists them all."""
        stack = [node]
        while stack:
            element = stack.pop().get_object()
            if not isinstance(element, DictionaryObject):
                continue
            if "/ID" in element:
                new = TextStringObject(prefix + str(element["/ID"]))
                element[NameObject("/ID")] = new
                self.ids.append((new, element.indirect_reference or element))
            attributes = element.get("/A")
            for attribute in _as_list(attributes):
                attribute = attribute.get_object()
                if isinstance(attribute, DictionaryObject) and "/Headers" in attribute:
                    attribute[NameObject("/Headers")] = ArrayObject(
                        TextStringObject(prefix + str(h)) for h in attribute["/Headers"]
                    )
            if element.get("/Type") in (None, "/StructElem") and "/S" in element:
                stack.extend(_as_list(element.get("/K")))

    def finish(self) -> None:
        if not self.grafted:
            return
        writer = self.writer
        self.document[NameObject("/K")] = self.kids
        names = ArrayObject()
        for name, element in sorted(self.ids, key=lambda pair: str(pair[0])):
            names.extend([name, element])
        root = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/StructTreeRoot"),
                NameObject("/K"): ArrayObject([self.document_ref]),
                NameObject("/ParentTree"): writer._add_object(
                    DictionaryObject({NameObject("/Nums"): self.nums})
                ),
                NameObject("/ParentTreeNextKey"): NumberObject(self.next_key),
            }
        )
        if names:
            root[NameObject("/IDTree")] = writer._add_object(
                DictionaryObject({NameObject("/Names"): names})
            )
        if self.role_map:
            root[NameObject("/RoleMap")] = self.role_map
        if self.namespaces:
            root[NameObject("/Namespaces")] = ArrayObject(self.namespaces.values())
        root_ref = writer._add_object(root)
        self.document[NameObject("/P")] = root_ref
        writer.root_object[NameObject("/StructTreeRoot")] = root_ref
        writer.root_object[NameObject("/MarkInfo")] = DictionaryObject(
            {NameObject("/Marked"): BooleanObject(True)}
        )
        # The parts' own tree roots, reached while cloning their elements' parents: unused.
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)


def keep_outline(writer: PdfWriter, part: Part, parent=None, items=None) -> None:
    """The bookmarks of a part (WeasyPrint's, from its headings), at its pages in the file."""
    reader = part.reader
    previous = None
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            keep_outline(writer, part, previous, item)
            continue
        page = reader.get_destination_page_number(item)
        previous = writer.add_outline_item(
            title=str(item.title), page_number=part.first - 1 + page, parent=parent
        )


def _as_list(value) -> list:
    if value is None:
        return []
    value = value.get_object() if isinstance(value, IndirectObject) else value
    return list(value) if isinstance(value, list) else [value]


def number_tree(node) -> list[tuple[int, object]]:
    """The (key, value) pairs of a number tree (flat /Nums, or /Kids of them)."""
    if node is None:
        return []
    node = node.get_object()
    pairs = []
    nums = node.get("/Nums")
    if nums is not None:
        pairs.extend((int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2))
    for kid in node.get("/Kids", []) or []:
        pairs.extend(number_tree(kid))
    return pairs


# --- the page stamp --------------------------------------------------------------------------

# Helvetica (one of the 14 fonts every PDF reader has), in WinAnsi.
MM = 72 / 25.4
STAMP_SIZE = 7
# Helvetica's advance widths (thousandths of the size) for what a stamp writes.
HELVETICA = {" ": 278, "/": 278, "·": 278, "i": 222, "r": 333, "s": 500, "c": 500, "D": 722}


def text_width(text: str, size: float) -> float:
    return sum(HELVETICA.get(char, 556) for char in text) * size / 1000


def stamp(page: PageObject, text: str) -> None:
    """Print `text` at the bottom right of the page, on a white patch, below the footer of
    our own documents (their 20 mm margin) and over whatever an uploaded page has there. It is
    marked as an artifact: page furniture, not content read."""
    box = page.cropbox
    width = text_width(text, STAMP_SIZE)
    pad = 1.2 * MM
    patch_w, patch_h = width + 2 * pad, STAMP_SIZE + 2 * pad
    left = float(box.right) - 17 * MM - patch_w + pad
    bottom = float(box.bottom) + 6 * MM
    overlay = PageObject.create_blank_page(width=patch_w, height=patch_h)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    overlay[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/TDIStamp"): font})}
    )
    content = DecodedStreamObject()
    content.set_data(
        b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC "
        b"q 1 g 0 0 %.2f %.2f re f 0.29 g BT /TDIStamp %d Tf %.2f %.2f Td ("
        % (patch_w, patch_h, STAMP_SIZE, pad, pad + 0.8)
        + text.encode("cp1252")
        + b") Tj ET Q EMC"
    )
    overlay[NameObject("/Contents")] = content
    page.merge_transformed_page(overlay, Transformation().translate(left, bottom))
