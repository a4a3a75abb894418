"""The select list written in Python (tdi.widgets) is the template's, character for character."""

from django import forms
from django.forms.renderers import TemplatesSetting

from tdi.widgets import Renderer


class Form(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("a", "Première & <seconde>"), (3, "Trois")])
    grouped = forms.ChoiceField(
        choices=[("", "Tous"), ("Grand Est", [("ti-1", "Chaumont"), ("ti-2", "Meuse")])],
        required=False,
        widget=forms.Select(attrs={"data-x": 'un "guillemet"', "disabled": True, "hidden": False}),
    )
    several = forms.MultipleChoiceField(choices=[("1", "Un"), ("2", "Deux")])


def test_the_select_is_written_as_the_template_writes_it():
    data = {"plain": "a", "grouped": "ti-2", "several": ["1", "2"]}
    form, through_templates = Form(data=data), Form(data=data, renderer=TemplatesSetting())
    assert isinstance(form.renderer, Renderer)
    for name in ("plain", "grouped", "several"):
        assert form[name].as_widget() == through_templates[name].as_widget(), name
    assert '<optgroup label="Grand Est">' in str(form["grouped"])
    assert "Première &amp; &lt;seconde&gt;" in str(form["plain"])
    assert 'data-x="un &quot;guillemet&quot;" disabled' in str(form["grouped"])
    assert "hidden" not in str(form["grouped"])
