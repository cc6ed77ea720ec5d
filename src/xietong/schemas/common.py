"""Pieces shared by every schema: bounded text, a strict boolean, the CSRF field."""
import colander
import deform

from ..i18n import _


def text(title, max_length: int, min_length: int = 1, validator=None, **kw) -> colander.SchemaNode:
    """A required (unless ``missing`` is given) stripped string with length bounds."""
    checks = [colander.Length(min=min_length, max=max_length), no_control_chars]
    if validator is not None:
        checks.append(validator)
    return colander.SchemaNode(
        colander.String(), title=title, preparer=_strip, validator=colander.All(*checks), **kw
    )


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def no_control_chars(node, value):
    if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t\r\n" for ch in value):
        raise colander.Invalid(node, _("Control characters are not allowed"))


def boolean(title, **kw) -> colander.SchemaNode:
    """A checkbox: only explicit true values count; unchecked means False."""
    return colander.SchemaNode(
        colander.Boolean(false_choices=("", "false", "0", "off", "no"), true_choices=("true", "1", "on", "yes")),
        title=title,
        missing=False,
        widget=deform.widget.CheckboxWidget(),
        **kw,
    )


@colander.deferred
def _csrf_default(node, kw):
    return kw["request"].session.get_csrf_token()


def csrf_node() -> colander.SchemaNode:
    """A hidden ``csrf_token`` field; Pyramid's CSRF check reads it from the POST body."""
    return colander.SchemaNode(
        colander.String(),
        name="csrf_token",
        default=_csrf_default,
        missing=colander.drop,
        widget=deform.widget.HiddenWidget(),
    )
