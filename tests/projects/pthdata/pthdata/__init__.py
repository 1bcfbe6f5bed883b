from pthdata._speed import double

__all__ = ["double"]
