from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef("int ops_scale(int value);")
ffibuilder.set_source("cffidemo._ops", '#include "ops.h"', sources=["csrc/ops.c"], include_dirs=["csrc"])
