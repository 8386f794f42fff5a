"""Reading and writing instrument definitions (YAML is the canonical text format)."""

from instruments.io.yaml_io import dump_yaml, load_yaml, read_yaml

__all__ = ["dump_yaml", "load_yaml", "read_yaml"]
