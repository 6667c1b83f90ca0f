/* Drives a compiled mlp.so (input x float32 [1,64], output probs [1,10])
 * through the C API, including every kind of bad argument. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond, what)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      printf("FAILED: %s (line %d)\n", what, __LINE__);                        \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

int main(void) {
  qopt_model *m = NULL;
  CHECK(qopt_model_create(NULL) == QOPT_ERROR_INVALID_ARGUMENT, "create(NULL)");
  CHECK(strlen(qopt_model_last_error(NULL)) > 0, "create error message");
  CHECK(qopt_model_create(&m) == QOPT_OK && m, "create");
  CHECK(qopt_model_num_inputs(m) == 1 && qopt_model_num_outputs(m) == 1, "counts");
  const qopt_tensor_info *in = qopt_model_input_info(m, 0);
  CHECK(in && strcmp(in->name, "x") == 0 && in->rank == 2 && in->dims[1] == 64 &&
            in->dtype == QOPT_FLOAT32, "input info");
  CHECK(qopt_model_input_info(m, 1) == NULL, "input info out of range");
  CHECK(qopt_model_output_info(m, 5) == NULL, "output info out of range");
  CHECK(qopt_model_num_inputs(NULL) == 0, "NULL model counts");

  float x[64], y[10];
  for (int i = 0; i < 64; ++i) x[i] = (float)i / 64.0f;
  int64_t xd[2] = {1, 64}, yd[2] = {1, 10}, bad[2] = {1, 63};
  qopt_tensor ti = {QOPT_FLOAT32, 2, xd, x, sizeof x};
  qopt_tensor to = {QOPT_FLOAT32, 2, yd, y, sizeof y};

  CHECK(qopt_model_run(NULL, &ti, 1, &to, 1) == QOPT_ERROR_INVALID_ARGUMENT, "NULL model");
  CHECK(qopt_model_run(m, &ti, 2, &to, 1) == QOPT_ERROR_INVALID_ARGUMENT, "input count");
  CHECK(qopt_model_run(m, NULL, 1, &to, 1) == QOPT_ERROR_INVALID_ARGUMENT, "NULL inputs");
  CHECK(qopt_model_run(m, &ti, 1, NULL, 1) == QOPT_ERROR_INVALID_ARGUMENT, "NULL outputs");
  qopt_tensor t = ti;
  t.dtype = QOPT_FLOAT16;
  CHECK(qopt_model_run(m, &t, 1, &to, 1) == QOPT_ERROR_DTYPE, "dtype");
  CHECK(strstr(qopt_model_last_error(m), "float16") != NULL, "dtype message");
  t = ti;
  t.rank = 3;
  CHECK(qopt_model_run(m, &t, 1, &to, 1) == QOPT_ERROR_SHAPE, "rank");
  t = ti;
  t.dims = bad;
  CHECK(qopt_model_run(m, &t, 1, &to, 1) == QOPT_ERROR_SHAPE, "dims");
  CHECK(strstr(qopt_model_last_error(m), "1x64") != NULL, "dims message");
  t = ti;
  t.dims = NULL;
  CHECK(qopt_model_run(m, &t, 1, &to, 1) == QOPT_ERROR_SHAPE, "NULL dims");
  t = ti;
  t.data = NULL;
  CHECK(qopt_model_run(m, &t, 1, &to, 1) == QOPT_ERROR_INVALID_ARGUMENT, "NULL data");
  t = ti;
  t.size_bytes = 10;
  CHECK(qopt_model_run(m, &t, 1, &to, 1) == QOPT_ERROR_BUFFER_SIZE, "small buffer");
  qopt_tensor o = to;
  o.size_bytes = 39;
  CHECK(qopt_model_run(m, &ti, 1, &o, 1) == QOPT_ERROR_BUFFER_SIZE, "small output");

  CHECK(qopt_model_run(m, &ti, 1, &to, 1) == QOPT_OK, "run");
  float sum = 0;
  for (int i = 0; i < 10; ++i) sum += y[i];
  CHECK(sum > 0.999f && sum < 1.001f, "softmax sums to 1");
  CHECK(qopt_model_last_error(m)[0] == 0, "no error after success");
  qopt_model_destroy(m);
  qopt_model_destroy(NULL);
  if (failures)
    return 1;
  printf("all C API checks passed\n");
  return 0;
}
