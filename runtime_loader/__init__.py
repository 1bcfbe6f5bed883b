"""The runtime side of fatpack: stdlib only, CPython 3.8+.

`runtime_loader/loader.py` is copied into every assembled package as `<package>/_fatpack/__init__.py`;
this package exists so the build side can find that file and the tests can import it.
"""
