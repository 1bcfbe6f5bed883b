"""cnum: an extension over libcnum."""
