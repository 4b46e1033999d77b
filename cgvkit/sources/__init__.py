"""Reading user files: YAML with line marks, Cerberus schemas, JSON Schemas for editors."""
