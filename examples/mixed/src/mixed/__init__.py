"""fatpack example: two extensions in different subpackages, one bundled native library."""
