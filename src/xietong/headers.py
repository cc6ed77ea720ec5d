"""Security headers on every response, and the Content-Security-Policy.

A tween just above Pyramid's exception view tween adds, to every response that has
not set them itself (HTML pages, error pages, redirects, ``/api`` JSON, static files):

``Content-Security-Policy``
    ::

        default-src 'self'; script-src 'self' <hashes>; style-src 'self' 'unsafe-inline';
        img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self';
        frame-ancestors 'none'

    - ``script-src 'self'``: every script is a file under ``/static`` or deform's static
      folder (jQuery, Bootstrap, mermaid, ``static/js/*.js``, deform.js); our templates
      have no inline scripts and no ``on...=`` attributes, and must keep it that way.
    - ``<hashes>``: deform's widget templates (Chameleon, not ours) write a few inline
      scripts into the form they render — the sequence widget of the integration plan
      writes ``deform.addCallback(...)`` with its field id and lengths — and two
      ``onclick`` handlers (add / remove an item).  They cannot carry a nonce without
      overriding deform's templates, and stamping nonces onto the finished page would
      bless injected scripts too.  Instead, when a view hands a rendered form to a
      template (``form`` / ``form_html``, the names the layout already uses to load
      deform's scripts), :func:`allow_inline_scripts` hashes the inline scripts *of that
      form's HTML* (and of the item prototypes inside a sequence) and the response's
      policy lists exactly those ``'sha256-...'`` values.  Inline handlers can only be
      allowed by hash with ``'unsafe-hashes'`` (CSP 3), which is then added too; it lets
      through nothing but handlers whose text is exactly the hashed one
      (``deform.appendSequenceItem(this)`` / ``deform.removeSequenceItem(this)``).
      Pages without a form have no hashes at all.
    - ``style-src 'unsafe-inline'``: mermaid writes ``<style>`` and ``style="..."`` into
      the diagrams it draws, deform's sequence widget emits a ``<style>`` block and
      ``style=`` attributes, and our templates use a few ``style=`` attributes.  Styles
      cannot run script; what is given up is protection against injected CSS, which
      needs injected markup first, and output escaping prevents that.
    - ``img-src data:``: Bootstrap's CSS draws select arrows, checkboxes and close
      buttons as ``data:`` SVG images.
    - ``object-src 'none'`` (no plugins), ``base-uri 'self'`` (no ``<base>`` hijack),
      ``form-action 'self'`` (forms post only to us), ``frame-ancestors 'none'`` (no
      framing: clickjacking).  ``connect-src``, ``font-src``, ``frame-src`` fall back
      to ``default-src 'self'``.

    A response that already has a policy keeps it: attachments send the stricter
    ``default-src 'none'; sandbox``.

``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``, ``X-Frame-Options: DENY``
    (the last for browsers that predate ``frame-ancestors``), and on HTTPS requests
    ``Strict-Transport-Security: max-age=31536000`` (no ``includeSubDomains``: other
    hosts of the government domain are not ours to pin).

The tween sits below the debug toolbar (development only), so the toolbar's own
pages, which use inline scripts, are left alone.
"""
import base64
import hashlib
import html
import re
from urllib.parse import unquote

from pyramid.events import BeforeRender
from pyramid.tweens import EXCVIEW

#: The names under which views hand deform's rendered HTML to templates.
FORM_KEYS = ("form", "form_html")

BASE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

HSTS = "max-age=31536000"

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_PROTOTYPE = re.compile(r"""\sprototype\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_SRC = re.compile(r"\ssrc\s*=", re.IGNORECASE)


def csp_hash(source: str) -> str:
    """``'sha256-...'`` of a script's text as the browser sees it (newlines normalised)."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-%s'" % base64.b64encode(digest).decode("ascii")


def inline_script_hashes(markup: str) -> tuple[set[str], set[str]]:
    """The hashes of the inline ``<script>`` bodies and of the ``on...=`` handlers in ``markup``.

    Sequence widgets keep the HTML of a new item URL-quoted in a ``prototype``
    attribute and insert it on "add"; it is searched too.  Only ever give this the
    HTML of a trusted renderer (deform's), never a whole page.
    """
    scripts, handlers = set(), set()
    pending = [markup]
    while pending:
        text = pending.pop()
        for attributes, body in _SCRIPT.findall(text):
            if not _SRC.search(" " + attributes) and body.strip():
                scripts.add(csp_hash(body))
        for double, single in _HANDLER.findall(text):
            handlers.add(csp_hash(html.unescape(double or single)))
        for double, single in _PROTOTYPE.findall(text):
            pending.append(unquote(html.unescape(double or single)))
    return scripts, handlers


def allow_inline_scripts(request, markup: str) -> None:
    """Let the inline scripts and handlers of ``markup`` (deform's HTML) run on this response."""
    scripts, handlers = inline_script_hashes(str(markup))
    request.environ.setdefault("xietong.csp.scripts", set()).update(scripts)
    request.environ.setdefault("xietong.csp.handlers", set()).update(handlers)


def content_security_policy(request) -> str:
    """The policy for this response: :data:`BASE_POLICY` plus the hashes this request allowed."""
    policy = {name: list(sources) for name, sources in BASE_POLICY.items()}
    scripts = request.environ.get("xietong.csp.scripts", set())
    handlers = request.environ.get("xietong.csp.handlers", set())
    if handlers:
        policy["script-src"].append("'unsafe-hashes'")
    policy["script-src"].extend(sorted(scripts | handlers))
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


def add_security_headers(request, response) -> None:
    """Set the headers of the module docstring, keeping any the view set itself."""
    headers = response.headers
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = content_security_policy(request)
    for name, value in FIXED_HEADERS.items():
        if name not in headers:
            headers[name] = value
    if request.scheme == "https" and "Strict-Transport-Security" not in headers:
        headers["Strict-Transport-Security"] = HSTS


def security_headers_tween_factory(handler, registry):
    def security_headers_tween(request):
        response = handler(request)
        add_security_headers(request, response)
        return response

    return security_headers_tween


def _hash_form_scripts(event: BeforeRender) -> None:
    """Before a page is rendered: allow the inline scripts of the deform form it shows."""
    request = event.get("request")
    values = event.rendering_val
    if request is None or not isinstance(values, dict):
        return
    for key in FORM_KEYS:
        markup = values.get(key)
        if isinstance(markup, str) and markup:
            allow_inline_scripts(request, markup)


def includeme(config):
    config.add_tween("xietong.headers.security_headers_tween_factory", over=EXCVIEW)
    config.add_subscriber(_hash_form_scripts, BeforeRender)
