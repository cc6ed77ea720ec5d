"""HTML views: parse the request, call a service, render.  No business logic here."""
