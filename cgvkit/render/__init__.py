"""Rendering: French formatting, clause texts, HTML templates, PDF printing."""
