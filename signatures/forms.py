"""Form fields shared by the signature admin and the promote-a-report form, so both look alike."""
from django import forms
from django.core.exceptions import ValidationError

from scans.engine import PHASE_NAMES
from signatures.models import MAX_FILE_GLOBS, pattern_problem

PHASE_CHOICES = [(number, f"{number} · {name}") for number, name in PHASE_NAMES.items()]


class PhaseField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(coerce=int, choices=PHASE_CHOICES, **kwargs)


class FileGlobsField(forms.Field):
    """File globs as a list, one per line (commas also split); empty = every file."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40, "placeholder": "package.json\n*.js"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", f"One glob per line, e.g. package.json or *.js; at most {MAX_FILE_GLOBS}. "
                                       "Empty = every file.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        if isinstance(value, (list, tuple)):
            items = [str(v).strip() for v in value]
        else:
            items = [part.strip() for line in (value or "").splitlines() for part in line.split(",")]
        globs = [item for item in items if item]
        if len(globs) > MAX_FILE_GLOBS:
            raise ValidationError(f"At most {MAX_FILE_GLOBS} globs.")
        if any(len(g) > 200 or "\x00" in g for g in globs):
            raise ValidationError("Each glob must be at most 200 characters.")
        return globs

    def has_changed(self, initial, data):
        return self.to_python(initial or []) != self.to_python(data)


class PatternField(forms.CharField):
    """A detection pattern: once the field's own checks pass, RE2 must accept it (Signature.clean's check)."""

    def clean(self, value):
        value = super().clean(value)
        problem = pattern_problem(value)
        if problem:
            raise ValidationError(problem)
        return value
