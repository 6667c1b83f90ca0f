/*===- qopt_dtype.c - Element types of the C API ---------------*- C -*-===*
 *
 * Shared by the model runtime and the compiler, which describes signatures
 * with the same names.
 *
 *===---------------------------------------------------------------------===*/
#include "qopt/Runtime/qopt_runtime.h"

#define QOPT_EXPORT __attribute__((visibility("default")))

QOPT_EXPORT size_t qopt_dtype_size(qopt_dtype t) {
  switch (t) {
  case QOPT_BOOL: case QOPT_UINT8: case QOPT_INT8: return 1;
  case QOPT_UINT16: case QOPT_INT16: case QOPT_FLOAT16: case QOPT_BFLOAT16:
    return 2;
  case QOPT_FLOAT32: case QOPT_INT32: case QOPT_UINT32: return 4;
  case QOPT_FLOAT64: case QOPT_INT64: case QOPT_UINT64: return 8;
  }
  return 0;
}

QOPT_EXPORT const char *qopt_dtype_name(qopt_dtype t) {
  switch (t) {
  case QOPT_FLOAT32: return "float32";
  case QOPT_UINT8: return "uint8";
  case QOPT_INT8: return "int8";
  case QOPT_UINT16: return "uint16";
  case QOPT_INT16: return "int16";
  case QOPT_INT32: return "int32";
  case QOPT_INT64: return "int64";
  case QOPT_BOOL: return "bool";
  case QOPT_FLOAT16: return "float16";
  case QOPT_FLOAT64: return "float64";
  case QOPT_UINT32: return "uint32";
  case QOPT_UINT64: return "uint64";
  case QOPT_BFLOAT16: return "bfloat16";
  }
  return "unknown";
}

