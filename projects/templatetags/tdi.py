"""The template filters of the site: the French formatting of tdi.formats, and a few helpers."""

from django import template

from tdi import formats

register = template.Library()

for name in ("euros", "number", "file_size", "french_date", "iso_date", "percent", "plural", "de"):
    register.filter(name, getattr(formats, name))


@register.filter
def get_item(mapping: dict, key):
    """mapping[key] in a template, or None."""
    return mapping.get(key) if mapping else None


@register.filter
def sub(limit: int, text: str) -> int:
    """Characters left: limit minus the length of the text."""
    return int(limit) - len(text or "")


@register.filter
def negate(value: int) -> int:
    return -int(value)


@register.filter
def sees_details(access, project) -> bool:
    """Whether the reader may see a project's figures and files (projects.access: a lead reads
    other companies' projects as cards only)."""
    return access.sees_details(project)
