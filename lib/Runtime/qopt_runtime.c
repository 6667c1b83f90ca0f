/*===- qopt_runtime.c - Generic C API of a compiled model -------*- C -*-===*
 *
 * Linked into every model library. Validates every argument before calling
 * the generated graph, and never aborts: errors come back as a status and a
 * message kept on the model instance.
 *
 *===---------------------------------------------------------------------===*/
#include "qopt_model_desc.h"
#include "qopt/Runtime/qopt_ukernel.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QOPT_EXPORT __attribute__((visibility("default")))
#define QOPT_MAX_RANK 16
#define QOPT_ERROR_CAP 512

/* An MLIR ranked memref descriptor, laid out as the LLVM lowering expects:
 * {allocated, aligned, offset, sizes[rank], strides[rank]}. */
typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes_and_strides[2 * QOPT_MAX_RANK];
} memref_desc;

/* Everything a run needs is allocated by create: run never allocates. */
struct qopt_model {
  const qopt_model_desc *desc;
  void *arena;
  void *device_state; /* GPU targets: device buffers, driver handles */
  memref_desc *descs; /* one per input and output */
  void **desc_ptrs;
  char error[QOPT_ERROR_CAP];
};

static _Thread_local char create_error[QOPT_ERROR_CAP];

static qopt_status fail(qopt_model *m, qopt_status s, const char *fmt, ...) {
  char *dst = m ? m->error : create_error;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dst, QOPT_ERROR_CAP, fmt, ap);
  va_end(ap);
  return s;
}

/* Writes "1x3x224x224" (or "scalar") into buf. */
static const char *format_dims(char *buf, size_t cap, size_t rank,
                               const int64_t *dims) {
  size_t used = 0;
  if (rank == 0) {
    snprintf(buf, cap, "scalar");
    return buf;
  }
  buf[0] = 0;
  for (size_t i = 0; i < rank && used < cap; ++i)
    used += (size_t)snprintf(buf + used, cap - used, i ? "x%lld" : "%lld",
                             (long long)dims[i]);
  return buf;
}

QOPT_EXPORT qopt_status qopt_model_create(qopt_model **out) {
  const qopt_model_desc *d = &qopt_generated_model;
  if (!out)
    return fail(NULL, QOPT_ERROR_INVALID_ARGUMENT,
                "qopt_model_create: `out` is NULL");
  *out = NULL;
  if (d->abi_version != QOPT_ABI_VERSION)
    return fail(NULL, QOPT_ERROR_INTERNAL,
                "qopt_model_create: model ABI version %u, runtime %u",
                d->abi_version, QOPT_ABI_VERSION);
  qopt_model *m = calloc(1, sizeof(*m));
  if (!m)
    return fail(NULL, QOPT_ERROR_OUT_OF_MEMORY,
                "qopt_model_create: out of memory");
  m->desc = d;
  size_t n = d->num_inputs + d->num_outputs;
  m->descs = calloc(n ? n : 1, sizeof(memref_desc));
  m->desc_ptrs = calloc(n ? n : 1, sizeof(void *));
  if (!m->descs || !m->desc_ptrs) {
    qopt_model_destroy(m);
    return fail(NULL, QOPT_ERROR_OUT_OF_MEMORY, "qopt_model_create: out of memory");
  }
  if (d->device) {
    qopt_status s = d->device->create(d, &m->device_state, create_error,
                                      QOPT_ERROR_CAP);
    if (s != QOPT_OK) {
      char message[QOPT_ERROR_CAP];
      memcpy(message, create_error, sizeof message);
      qopt_model_destroy(m);
      return fail(NULL, s, "qopt_model_create: %s", message);
    }
  } else if (d->arena_bytes) {
    size_t align = d->arena_alignment ? d->arena_alignment : 64;
    size_t bytes = (d->arena_bytes + align - 1) / align * align;
    m->arena = aligned_alloc(align, bytes);
    if (!m->arena) {
      qopt_model_destroy(m);
      return fail(NULL, QOPT_ERROR_OUT_OF_MEMORY,
                  "qopt_model_create: cannot allocate the %zu-byte arena",
                  d->arena_bytes);
    }
  }
  qopt_uk_init_threads();
  *out = m;
  return QOPT_OK;
}

QOPT_EXPORT void qopt_model_destroy(qopt_model *m) {
  if (!m)
    return;
  if (m->device_state)
    m->desc->device->destroy(m->device_state);
  free(m->arena);
  free(m->descs);
  free(m->desc_ptrs);
  free(m);
}

QOPT_EXPORT size_t qopt_model_num_inputs(const qopt_model *m) {
  return m ? m->desc->num_inputs : 0;
}
QOPT_EXPORT size_t qopt_model_num_outputs(const qopt_model *m) {
  return m ? m->desc->num_outputs : 0;
}
QOPT_EXPORT const qopt_tensor_info *qopt_model_input_info(const qopt_model *m,
                                                          size_t i) {
  return m && i < m->desc->num_inputs ? &m->desc->inputs[i] : NULL;
}
QOPT_EXPORT const qopt_tensor_info *qopt_model_output_info(const qopt_model *m,
                                                           size_t i) {
  return m && i < m->desc->num_outputs ? &m->desc->outputs[i] : NULL;
}
QOPT_EXPORT size_t qopt_model_arena_bytes(const qopt_model *m) {
  return m ? m->desc->arena_bytes : 0;
}
QOPT_EXPORT size_t qopt_model_arena_lower_bound_bytes(const qopt_model *m) {
  return m ? m->desc->arena_lower_bound_bytes : 0;
}
QOPT_EXPORT const char *qopt_model_last_error(const qopt_model *m) {
  return m ? m->error : create_error;
}

/* Checks one caller tensor against its declared info. */
static qopt_status check_tensor(qopt_model *m, const char *role, size_t index,
                                const qopt_tensor_info *info,
                                const qopt_tensor *t) {
  char want[256], got[256];
  if (t->dtype != info->dtype)
    return fail(m, QOPT_ERROR_DTYPE,
                "%s %zu '%s': expected dtype %s, got %s", role, index,
                info->name, qopt_dtype_name(info->dtype),
                qopt_dtype_name(t->dtype));
  if (t->rank != info->rank || (t->rank && !t->dims))
    return fail(m, QOPT_ERROR_SHAPE,
                "%s %zu '%s': expected shape %s (rank %zu), got rank %zu",
                role, index, info->name,
                format_dims(want, sizeof want, info->rank, info->dims),
                info->rank, t->rank);
  size_t elems = 1;
  for (size_t k = 0; k < t->rank; ++k) {
    if (t->dims[k] != info->dims[k])
      return fail(m, QOPT_ERROR_SHAPE, "%s %zu '%s': expected shape %s, got %s",
                  role, index, info->name,
                  format_dims(want, sizeof want, info->rank, info->dims),
                  format_dims(got, sizeof got, t->rank, t->dims));
    elems *= (size_t)info->dims[k];
  }
  size_t bytes = elems * qopt_dtype_size(info->dtype);
  if (!t->data && bytes)
    return fail(m, QOPT_ERROR_INVALID_ARGUMENT, "%s %zu '%s': data is NULL",
                role, index, info->name);
  if (t->size_bytes < bytes)
    return fail(m, QOPT_ERROR_BUFFER_SIZE,
                "%s %zu '%s': buffer holds %zu bytes, the tensor needs %zu",
                role, index, info->name, t->size_bytes, bytes);
  return QOPT_OK;
}

static void fill_desc(memref_desc *d, const qopt_tensor_info *info,
                      void *data) {
  d->allocated = data;
  d->aligned = data;
  d->offset = 0;
  int64_t stride = 1;
  for (size_t k = info->rank; k-- > 0;) {
    d->sizes_and_strides[k] = info->dims[k];
    d->sizes_and_strides[info->rank + k] = stride;
    stride *= info->dims[k];
  }
}

QOPT_EXPORT qopt_status qopt_model_run(qopt_model *m,
                                       const qopt_tensor *inputs,
                                       size_t num_inputs,
                                       qopt_tensor *outputs,
                                       size_t num_outputs) {
  if (!m)
    return fail(NULL, QOPT_ERROR_INVALID_ARGUMENT, "qopt_model_run: model is NULL");
  const qopt_model_desc *d = m->desc;
  m->error[0] = 0;
  if (num_inputs != d->num_inputs || (num_inputs && !inputs))
    return fail(m, QOPT_ERROR_INVALID_ARGUMENT,
                "qopt_model_run: expected %zu inputs, got %zu%s",
                d->num_inputs, num_inputs,
                num_inputs && !inputs ? " (NULL array)" : "");
  if (num_outputs != d->num_outputs || (num_outputs && !outputs))
    return fail(m, QOPT_ERROR_INVALID_ARGUMENT,
                "qopt_model_run: expected %zu outputs, got %zu%s",
                d->num_outputs, num_outputs,
                num_outputs && !outputs ? " (NULL array)" : "");
  for (size_t i = 0; i < num_inputs; ++i) {
    qopt_status s = check_tensor(m, "input", i, &d->inputs[i], &inputs[i]);
    if (s != QOPT_OK)
      return s;
  }
  for (size_t i = 0; i < num_outputs; ++i) {
    qopt_status s = check_tensor(m, "output", i, &d->outputs[i], &outputs[i]);
    if (s != QOPT_OK)
      return s;
  }
  memref_desc *descs = m->descs;
  void **ptrs = m->desc_ptrs;
  const qopt_device_ops *dev = d->device;
  /* On a device the graph reads and writes device copies of the tensors. */
  for (size_t i = 0; i < num_inputs; ++i) {
    fill_desc(&descs[i], &d->inputs[i],
              dev ? dev->io(m->device_state, i) : inputs[i].data);
    ptrs[i] = &descs[i];
  }
  for (size_t i = 0; i < num_outputs; ++i) {
    fill_desc(&descs[num_inputs + i], &d->outputs[i],
              dev ? dev->io(m->device_state, num_inputs + i) : outputs[i].data);
    ptrs[num_inputs + i] = &descs[num_inputs + i];
  }
  if (dev)
    return dev->run(m->device_state, d, inputs, outputs, ptrs, m->error,
                    QOPT_ERROR_CAP);
  d->invoke(m->arena, NULL, ptrs);
  return QOPT_OK;
}

/* Strided copy called by the LLVM lowering of memref.copy when a layout is
 * not the identity (MLIR's CRunnerUtils provides it for JIT use; a model
 * library must not depend on that). */
typedef struct {
  int64_t rank;
  void *descriptor;
} unranked_memref;

void memrefCopy(int64_t elem_size, unranked_memref *src, unranked_memref *dst) {
  int64_t rank = src->rank;
  char *s = (char *)((void **)src->descriptor)[1];
  char *d = (char *)((void **)dst->descriptor)[1];
  const int64_t *sd = (const int64_t *)src->descriptor + 2;
  const int64_t *dd = (const int64_t *)dst->descriptor + 2;
  int64_t soff = sd[0], doff = dd[0];
  const int64_t *sizes = sd + 1, *sstr = sd + 1 + rank, *dstr = dd + 1 + rank;
  if (rank == 0) {
    memcpy(d + doff * elem_size, s + soff * elem_size, (size_t)elem_size);
    return;
  }
  for (int64_t k = 0; k < rank; ++k)
    if (sizes[k] == 0)
      return;
  /* Trailing dimensions contiguous in both buffers copy as one run; the
   * outer ones are walked element-row by element-row. */
  int64_t inner = rank, run = 1;
  while (inner > 0 && sstr[inner - 1] == run && dstr[inner - 1] == run)
    run *= sizes[--inner];
  size_t runBytes = (size_t)(run * elem_size);
  int64_t idx[QOPT_MAX_RANK] = {0};
  for (;;) {
    int64_t so = soff, dof = doff;
    for (int64_t k = 0; k < inner; ++k) {
      so += idx[k] * sstr[k];
      dof += idx[k] * dstr[k];
    }
    memcpy(d + dof * elem_size, s + so * elem_size, runBytes);
    int64_t k = inner - 1;
    while (k >= 0 && ++idx[k] == sizes[k])
      idx[k--] = 0;
    if (k < 0)
      return;
  }
}
