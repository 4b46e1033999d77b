"""The internal recovery playbook site: generated pages from the project data, then MkDocs."""
