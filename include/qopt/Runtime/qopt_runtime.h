/*===- qopt_runtime.h - C API of a model compiled by qopt -------*- C -*-===*
 *
 * Every model library written by `qopt-compile` exports exactly these
 * functions. The library needs only libc and libm at run time.
 *
 * A model instance owns its working memory; two instances of the same model
 * may run concurrently on different threads. One instance must not be used by
 * two threads at once.
 *
 *===---------------------------------------------------------------------===*/
#ifndef QOPT_RUNTIME_QOPT_RUNTIME_H
#define QOPT_RUNTIME_QOPT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QOPT_ABI_VERSION 1

typedef enum qopt_status {
  QOPT_OK = 0,
  QOPT_ERROR_INVALID_ARGUMENT = 1, /* null pointer, wrong count */
  QOPT_ERROR_DTYPE = 2,            /* element type of a tensor differs */
  QOPT_ERROR_SHAPE = 3,            /* rank or a dimension differs */
  QOPT_ERROR_BUFFER_SIZE = 4,      /* a buffer is smaller than its tensor */
  QOPT_ERROR_OUT_OF_MEMORY = 5,
  QOPT_ERROR_NO_DEVICE = 6,        /* the target device is absent */
  QOPT_ERROR_INTERNAL = 7
} qopt_status;

/* Element types, numbered as ONNX TensorProto.DataType numbers them. */
typedef enum qopt_dtype {
  QOPT_FLOAT32 = 1,
  QOPT_UINT8 = 2,
  QOPT_INT8 = 3,
  QOPT_UINT16 = 4,
  QOPT_INT16 = 5,
  QOPT_INT32 = 6,
  QOPT_INT64 = 7,
  QOPT_BOOL = 9, /* one byte per element, 0 or 1 */
  QOPT_FLOAT16 = 10,
  QOPT_FLOAT64 = 11,
  QOPT_UINT32 = 12,
  QOPT_UINT64 = 13,
  QOPT_BFLOAT16 = 16
} qopt_dtype;

/* Static description of one input or output of the model. */
typedef struct qopt_tensor_info {
  const char *name;    /* the ONNX value name */
  qopt_dtype dtype;
  size_t rank;
  const int64_t *dims; /* `rank` entries, all static */
} qopt_tensor_info;

/* A caller-owned tensor: dense, row-major, no padding. */
typedef struct qopt_tensor {
  qopt_dtype dtype;
  size_t rank;
  const int64_t *dims;
  void *data;
  size_t size_bytes; /* capacity of `data`; checked against the shape */
} qopt_tensor;

typedef struct qopt_model qopt_model;

/* Allocates one model instance and its working memory. */
qopt_status qopt_model_create(qopt_model **out);
void qopt_model_destroy(qopt_model *model);

size_t qopt_model_num_inputs(const qopt_model *model);
size_t qopt_model_num_outputs(const qopt_model *model);
/* NULL when `i` is out of range. */
const qopt_tensor_info *qopt_model_input_info(const qopt_model *model,
                                              size_t i);
const qopt_tensor_info *qopt_model_output_info(const qopt_model *model,
                                               size_t i);

/* Bytes of the model's planned working memory (0 when not planned) and the
 * lower bound of any plan for the same schedule. */
size_t qopt_model_arena_bytes(const qopt_model *model);
size_t qopt_model_arena_lower_bound_bytes(const qopt_model *model);

/* Checks every tensor (count, dtype, rank, dims, data pointer, size) before
 * touching memory, then computes the outputs into the caller's buffers. */
qopt_status qopt_model_run(qopt_model *model, const qopt_tensor *inputs,
                           size_t num_inputs, qopt_tensor *outputs,
                           size_t num_outputs);

/* Message of the last failed call on `model` ("" when none). With a NULL
 * model, the message of the last failed qopt_model_create on this thread. */
const char *qopt_model_last_error(const qopt_model *model);

/* Bytes of one element of `dtype`, 0 for an unknown dtype. */
size_t qopt_dtype_size(qopt_dtype dtype);
const char *qopt_dtype_name(qopt_dtype dtype);

#ifdef __cplusplus
}
#endif

#endif /* QOPT_RUNTIME_QOPT_RUNTIME_H */
