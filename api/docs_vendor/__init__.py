"""Vendored third-party files for the API docs page: Swagger UI (``swagger-ui/README.md``)."""
