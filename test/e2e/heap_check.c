/* Counts heap allocations made while a compiled model runs: after
 * qopt_model_create, qopt_model_run must allocate nothing (the planned arena
 * holds every intermediate). malloc and friends are interposed here; the
 * model library resolves them to these definitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static volatile int counting = 0;
static volatile long allocations = 0;

void *malloc(size_t n) {
  if (counting) ++allocations;
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
  if (counting) ++allocations;
  return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
  if (counting) ++allocations;
  return __libc_realloc(p, n);
}
void *aligned_alloc(size_t al, size_t n) {
  if (counting) ++allocations;
  return __libc_memalign(al, n);
}
int posix_memalign(void **out, size_t al, size_t n) {
  if (counting) ++allocations;
  *out = __libc_memalign(al, n);
  return *out ? 0 : 12;
}
void free(void *p) { __libc_free(p); }

int main(void) {
  qopt_model *m;
  if (qopt_model_create(&m) != QOPT_OK) {
    printf("create failed: %s\n", qopt_model_last_error(NULL));
    return 1;
  }
  size_t ni = qopt_model_num_inputs(m), no = qopt_model_num_outputs(m);
  qopt_tensor *ins = calloc(ni + 1, sizeof(qopt_tensor));
  qopt_tensor *outs = calloc(no + 1, sizeof(qopt_tensor));
  for (size_t k = 0; k < ni + no; ++k) {
    const qopt_tensor_info *info = k < ni ? qopt_model_input_info(m, k)
                                          : qopt_model_output_info(m, k - ni);
    size_t bytes = qopt_dtype_size(info->dtype);
    for (size_t d = 0; d < info->rank; ++d)
      bytes *= (size_t)info->dims[d];
    qopt_tensor t = {info->dtype, info->rank, info->dims, calloc(bytes + 1, 1), bytes};
    if (k < ni) ins[k] = t; else outs[k - ni] = t;
  }
  if (qopt_model_run(m, ins, ni, outs, no) != QOPT_OK) { /* warm-up */
    printf("run failed: %s\n", qopt_model_last_error(m));
    return 1;
  }
  counting = 1;
  for (int r = 0; r < 3; ++r)
    qopt_model_run(m, ins, ni, outs, no);
  counting = 0;
  printf("heap allocations during 3 runs: %ld (arena %zu bytes, lower bound %zu)\n",
         allocations, qopt_model_arena_bytes(m), qopt_model_arena_lower_bound_bytes(m));
  qopt_model_destroy(m);
  return allocations == 0 ? 0 : 1;
}
