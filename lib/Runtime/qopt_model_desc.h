/*===- qopt_model_desc.h - What qopt-compile generates for the runtime -===*
 *
 * The contract between the generated code of one model and the generic
 * runtime (qopt_runtime.c) linked into the same library. Not a public API.
 *
 *===---------------------------------------------------------------------===*/
#ifndef QOPT_RUNTIME_QOPT_MODEL_DESC_H
#define QOPT_RUNTIME_QOPT_MODEL_DESC_H

#include "qopt/Runtime/qopt_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Calls the compiled graph. `descriptors` holds one MLIR ranked memref
 * descriptor per input, then one per output, in signature order. `arena` is
 * the instance's working memory of `arena_bytes` bytes (NULL when 0). */
typedef void (*qopt_invoke_fn)(void *arena, void **descriptors);

typedef struct qopt_model_desc {
  uint32_t abi_version;
  size_t num_inputs;
  size_t num_outputs;
  const qopt_tensor_info *inputs;
  const qopt_tensor_info *outputs;
  qopt_invoke_fn invoke;
  size_t arena_bytes;
  size_t arena_lower_bound_bytes;
  size_t arena_alignment;
} qopt_model_desc;

/* Defined by the generated model description. */
extern const qopt_model_desc qopt_generated_model;

#ifdef __cplusplus
}
#endif

#endif /* QOPT_RUNTIME_QOPT_MODEL_DESC_H */
