from winheaders._native import crt_process_id, interface_count, pointer_bits, process_id

__all__ = ["crt_process_id", "interface_count", "pointer_bits", "process_id"]
