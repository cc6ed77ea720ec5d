"""``{% cached key %}…{% endcached %}``: a template block rendered once per key and site generation.

A dashboard's tables hold hundreds of rows; rendering them cost more than computing the
(cached) figures behind them — 30 of 42 ms of the leadership group's page at 100k
documents.  The block's HTML is a function of what the view computed from cached figures,
the language and the China date, so the view passes exactly those as ``key`` and the HTML
is kept in the application's cache under the site's generation token
(:mod:`xietong.generation`) beside the figures: a write anywhere renders it afresh.

Rules for a cached block: it reads nothing that is not a function of ``key`` (no CSRF token,
no user name, no badge — those belong to the layout around it), and ``key`` is None when
the block must not be cached (it is then simply rendered).
"""
from jinja2 import nodes
from jinja2.ext import Extension
from markupsafe import Markup

from .generation import cached


class FragmentCache(Extension):
    tags = {"cached"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        key = parser.parse_expression()
        body = parser.parse_statements(("name:endcached",), drop_needle=True)
        call = self.call_method("_render", [nodes.Name("request", "load"), key])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    @staticmethod
    def _render(request, key, caller) -> Markup:
        if key is None or request is None:
            return Markup(caller())
        return cached(request.dbsession, ("fragment", key), lambda: Markup(caller()))


def includeme(config):
    config.add_jinja2_extension(FragmentCache)
