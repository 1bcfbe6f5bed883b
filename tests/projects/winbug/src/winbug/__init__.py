from winbug._calc import double, platform

__all__ = ["double", "platform"]
