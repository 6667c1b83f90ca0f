/* Runs several instances of one compiled model concurrently, one thread
 * each, and checks that every thread gets the single-threaded outputs: the
 * library keeps no mutable global state (each instance owns its arena). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define RUNS 50

typedef struct {
  qopt_model *model;
  qopt_tensor *ins, *outs;
  size_t ni, no;
  const void *reference; /* output 0 of the single-threaded run */
  size_t ref_bytes;
  int mismatches, failures;
} job;

static size_t tensor_bytes(const qopt_tensor_info *info) {
  size_t bytes = qopt_dtype_size(info->dtype);
  for (size_t d = 0; d < info->rank; ++d)
    bytes *= (size_t)info->dims[d];
  return bytes;
}

static void setup(job *j, unsigned seed) {
  if (qopt_model_create(&j->model) != QOPT_OK) {
    printf("create failed: %s\n", qopt_model_last_error(NULL));
    exit(1);
  }
  j->ni = qopt_model_num_inputs(j->model);
  j->no = qopt_model_num_outputs(j->model);
  j->ins = calloc(j->ni + 1, sizeof(qopt_tensor));
  j->outs = calloc(j->no + 1, sizeof(qopt_tensor));
  for (size_t k = 0; k < j->ni + j->no; ++k) {
    const qopt_tensor_info *info = k < j->ni ? qopt_model_input_info(j->model, k)
                                             : qopt_model_output_info(j->model, k - j->ni);
    size_t bytes = tensor_bytes(info);
    unsigned char *data = calloc(bytes + 1, 1);
    if (k < j->ni && info->dtype == QOPT_FLOAT32)
      for (size_t e = 0; e < bytes / 4; ++e)
        ((float *)data)[e] = (float)((e * 7 + seed) % 13) / 13.0f - 0.5f;
    qopt_tensor t = {info->dtype, info->rank, info->dims, data, bytes};
    if (k < j->ni) j->ins[k] = t; else j->outs[k - j->ni] = t;
  }
}

static void *work(void *arg) {
  job *j = arg;
  for (int r = 0; r < RUNS; ++r) {
    if (qopt_model_run(j->model, j->ins, j->ni, j->outs, j->no) != QOPT_OK)
      ++j->failures;
    else if (memcmp(j->outs[0].data, j->reference, j->ref_bytes) != 0)
      ++j->mismatches;
  }
  return NULL;
}

int main(void) {
  job jobs[THREADS];
  pthread_t tids[THREADS];
  for (int t = 0; t < THREADS; ++t) {
    setup(&jobs[t], (unsigned)t % 2); /* two different inputs */
    /* The reference: this job's own output, computed before any thread. */
    if (qopt_model_run(jobs[t].model, jobs[t].ins, jobs[t].ni, jobs[t].outs,
                       jobs[t].no) != QOPT_OK)
      return 1;
    jobs[t].ref_bytes = jobs[t].outs[0].size_bytes;
    void *ref = malloc(jobs[t].ref_bytes);
    memcpy(ref, jobs[t].outs[0].data, jobs[t].ref_bytes);
    jobs[t].reference = ref;
    jobs[t].mismatches = jobs[t].failures = 0;
  }
  for (int t = 0; t < THREADS; ++t)
    pthread_create(&tids[t], NULL, work, &jobs[t]);
  int bad = 0;
  for (int t = 0; t < THREADS; ++t) {
    pthread_join(tids[t], NULL);
    bad += jobs[t].mismatches + jobs[t].failures;
    qopt_model_destroy(jobs[t].model);
    /* Everything freed, so that LeakSanitizer judges the library alone. */
    for (size_t k = 0; k < jobs[t].ni; ++k)
      free(jobs[t].ins[k].data);
    for (size_t k = 0; k < jobs[t].no; ++k)
      free(jobs[t].outs[k].data);
    free(jobs[t].ins);
    free(jobs[t].outs);
    free((void *)jobs[t].reference);
  }
  printf("%d threads x %d runs: %d mismatches or failures\n", THREADS, RUNS, bad);
  return bad ? 1 : 0;
}
