from toml_demo._fast import triple

__all__ = ["triple"]
