from winheaders._native import pointer_bits, process_id

__all__ = ["pointer_bits", "process_id"]
