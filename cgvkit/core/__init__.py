"""Shared ground: the error type, atomic files, French formatting, Jinja2 environments, SMS text."""
