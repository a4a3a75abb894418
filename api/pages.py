"""The API's two HTML pages: the account's tokens (create one, seen once; revoke) and the
documentation, written from the OpenAPI schema on the server (no script, no CDN)."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from drf_spectacular.generators import SchemaGenerator

from accounts.once import sent_once

from .models import ApiToken

MAX_ACTIVE = 10


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Nom du jeton",
        max_length=100,
        help_text="Pour qui ou pour quel outil (ex. « Tableau de bord DGE »).",
        error_messages={"required": "Donnez un nom au jeton, pour le reconnaître ensuite."},
    )


@require_http_methods(["GET", "POST"])
@sent_once
def tokens(request):
    """The user's tokens; a POST creates one, whose value this answer shows once."""
    form, created = TokenForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            active = ApiToken.objects.active().select_for_update().filter(user=request.user)
            if active.count() >= MAX_ACTIVE:
                form.add_error(
                    None,
                    f"Vous avez déjà {MAX_ACTIVE} jetons actifs : révoquez-en un avant d'en "
                    "créer un autre.",
                )
            else:
                created = ApiToken.issue(request.user, form.cleaned_data["name"])
                form = TokenForm()
    context = {
        "form": form,
        "created": created,
        "tokens": ApiToken.objects.filter(user=request.user),
    }
    return render(request, "api/tokens.html", context, status=400 if form.errors else 200)


@require_POST
def revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # another's: 404
    token.revoke()
    messages.success(request, f"Le jeton « {token.name} » est révoqué : il ne donne plus accès.")
    return redirect("api:tokens")


def documentation(request):
    """The schema, read as a page: each operation with its parameters, each object with its
    fields, in French."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    operations = [
        {
            "path": path,
            "method": method.upper(),
            "summary": operation.get("summary", ""),
            "description": operation.get("description", ""),
            "parameters": operation.get("parameters", []),
            "answer": answer_name(operation),
        }
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    objects = [
        {"name": name, "fields": fields_of(component, components)}
        for name, component in sorted(components.items())
        if component.get("type") == "object" and not name.startswith("Paginated")
    ]
    context = {"info": schema["info"], "operations": operations, "objects": objects}
    return render(request, "api/documentation.html", context)


def answer_name(operation: dict) -> str:
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.rpartition("/")[2].removeprefix("Paginated").removesuffix("List")


def fields_of(component: dict, components: dict) -> list[dict]:
    fields = []
    for name, field in component.get("properties", {}).items():
        kind = field.get("type", "")
        if "$ref" in field or "allOf" in field:
            kind = (field.get("$ref") or field["allOf"][0]["$ref"]).rpartition("/")[2]
        elif kind == "array":
            items = field.get("items", {})
            kind = "liste de " + (items.get("$ref", "").rpartition("/")[2] or items.get("type", ""))
        elif field.get("format"):
            kind = f"{kind} ({field['format']})"
        fields.append({"name": name, "type": kind, "description": field.get("description", "")})
    return fields
