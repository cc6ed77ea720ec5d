"""Xietong (协同): the WSGI application factory.

``main`` only wires things together; every piece lives in its own module and is
pulled in with ``config.include``.
"""
import os

from pyramid.config import Configurator


def session_factory(settings: dict):
    """The signed cookie session (see :mod:`xietong.sessions`); the secret is required."""
    from . import sessions

    secret = os.environ.get("XIETONG_SECRET") or settings.get("xietong.secret")
    if not secret or len(secret) < 32:
        raise SystemExit("xietong.secret (or XIETONG_SECRET) must be set, at least 32 characters")
    return sessions.session_factory(settings, secret)


def main(global_config, **settings):
    settings.setdefault("jinja2.i18n.domain", "xietong")
    settings.setdefault("pyramid.default_locale_name", "zh_CN")
    settings.setdefault("tm.manager_hook", "pyramid_tm.explicit_manager")
    settings.setdefault("retry.attempts", "3")
    # pyramid_tm would ask for the user id above the exception views: with the database down
    # that query's error could not be answered 503 (views/unavailable.py)
    settings.setdefault("tm.annotate_user", "false")
    settings.setdefault("xietong.ini", (global_config or {}).get("__file__"))
    with Configurator(settings=settings, root_factory="xietong.resources.Root") as config:
        config.set_session_factory(session_factory(settings))
        config.include("pyramid_jinja2")
        config.include(".fragments")
        config.include(".i18n")
        config.include(".db")
        config.include(".startup")
        config.include(".security")
        config.include(".csrf")
        config.include(".headers")
        config.include(".rendering")
        config.include(".api.renderer")
        config.include(".routes")
        config.scan(".views")
        config.scan(".api")
    return config.make_wsgi_app()
