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
 * the instance's working memory of `arena_bytes` bytes (NULL when 0).
 * `weights` is the device copy of the weights (GPU targets; else NULL). */
typedef void (*qopt_invoke_fn)(void *arena, void *weights, void **descriptors);

/* One constant the GPU kernels read: `size` bytes at `host`, copied to
 * `offset` in the device weight buffer when the model is created. */
typedef struct qopt_device_weight {
  const void *host;
  size_t offset;
  size_t size;
} qopt_device_weight;

struct qopt_model_desc;

/* A device target's half of the runtime (lib/Runtime/qopt_cuda.c). Each
 * call returns QOPT_OK or a status with a message written to `err`. */
typedef struct qopt_device_ops {
  /* Loads the driver, allocates the arena, weights and input/output
   * buffers on the device and copies the weights. */
  qopt_status (*create)(const struct qopt_model_desc *d, void **state,
                        char *err, size_t cap);
  void (*destroy)(void *state);
  /* The device address of input/output i (inputs first). */
  void *(*io)(void *state, size_t i);
  /* Copies host inputs in, runs `invoke`, copies outputs back and waits. */
  qopt_status (*run)(void *state, const struct qopt_model_desc *d,
                     const qopt_tensor *inputs, qopt_tensor *outputs,
                     void **descriptors, char *err, size_t cap);
} qopt_device_ops;

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
  /* NULL for the CPU. */
  const qopt_device_ops *device;
  const qopt_device_weight *device_weights;
  size_t num_device_weights;
  size_t device_weights_bytes;
} qopt_model_desc;

/* The CUDA target's device half. */
extern const qopt_device_ops qopt_cuda_device;

/* Defined by the generated model description. */
extern const qopt_model_desc qopt_generated_model;

#ifdef __cplusplus
}
#endif

#endif /* QOPT_RUNTIME_QOPT_MODEL_DESC_H */
