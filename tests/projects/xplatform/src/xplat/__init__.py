from xplat._impl import describe, net_order

__all__ = ["describe", "net_order"]
