"""The JSON API (``/api``), shaped after plone.restapi.  Thin: the same services as the HTML views."""
