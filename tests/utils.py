import html


def text(response) -> str:
    """The response body with HTML entities decoded, to assert on French messages."""
    return html.unescape(response.content.decode())
