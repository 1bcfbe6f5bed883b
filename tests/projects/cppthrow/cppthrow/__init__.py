"""Throws C++ exceptions: one caught inside the module, one never caught, one caught by another module."""
