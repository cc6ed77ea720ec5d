"""Fixtures for this test suite beyond the ``xietong.testing`` plugin: the browser ones."""
from tests.browser import browser, open_page, page, shot  # noqa: F401
