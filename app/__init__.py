"""errcat: the HTTP error catalogue as a service."""

# The one place the version is written: pyproject.toml reads it (tool.setuptools.dynamic), the
# OpenAPI document and `errcat --version` show it (the container runs the source, not a wheel).
__version__ = "0.1.0"
