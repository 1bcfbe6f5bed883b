from msvcflags._native import branch, windows_dir_length

__all__ = ["branch", "windows_dir_length"]
