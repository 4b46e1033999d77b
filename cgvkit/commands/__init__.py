"""The commands of `python build.py`: each parses nothing and prints its own result."""
