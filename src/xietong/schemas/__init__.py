"""colander schemas: the one validation source for HTML forms, the JSON API and the CLI."""
