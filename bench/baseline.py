"""The bare baseline: the least a Pyramid + SQLAlchemy + Jinja2 page can do on the same database.

One route, ``GET /doc/{id}``: one primary-key ``SELECT`` of a ``nodes`` row (SQLAlchemy
Core on a pooled engine, a connection per request, no ORM, no transaction manager, no
session, no security) rendered with one small Jinja2 template through
``pyramid_jinja2``.  :mod:`run` serves it with exactly the same gunicorn settings as
Xietong, so the ratio Xietong / baseline measures what Xietong's own work costs — and
not the machine, the WSGI server or the database driver.

``gunicorn 'baseline:make_app()'`` reads the database URL from ``XIETONG_DB_URL``.
"""
import os
from pathlib import Path

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select

metadata = MetaData()
nodes = Table("nodes", metadata, Column("id", Integer, primary_key=True), Column("title", String),
              Column("state", String), Column("type", String), Column("path", String))


def document(request):
    raw = request.matchdict["id"]
    if not raw.isdigit():
        raise HTTPNotFound()
    with request.registry["engine"].connect() as conn:
        row = conn.execute(select(nodes).where(nodes.c.id == int(raw))).first()
    if row is None:
        raise HTTPNotFound()
    return {"row": row}


def make_app():
    settings = {"jinja2.directories": str(Path(__file__).resolve().parent / "templates")}
    with Configurator(settings=settings) as config:
        config.include("pyramid_jinja2")
        config.registry["engine"] = create_engine(os.environ["XIETONG_DB_URL"])
        config.add_route("doc", "/doc/{id}")
        config.add_view(document, route_name="doc", renderer="baseline.jinja2")
    return config.make_wsgi_app()
