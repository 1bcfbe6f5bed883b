from masmdemo._native import add

__all__ = ["add"]
