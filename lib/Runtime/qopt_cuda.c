/*===- qopt_cuda.c - The CUDA target's half of a model library --*- C -*-===*
 *
 * Linked into model libraries compiled with --target cuda. The kernels are
 * embedded by the compiler as fatbins (or PTX); the host code that upstream
 * MLIR generates for gpu.launch_func calls the mgpu* functions below. They
 * are implemented on the CUDA driver API, which is loaded with dlopen when a
 * model is created: the library loads on a machine without a GPU or a
 * driver, and qopt_model_create then fails with QOPT_ERROR_NO_DEVICE.
 *
 * Everything runs on one stream per model instance; the launches the graph
 * makes are asynchronous and `run` waits once, after the outputs' copies.
 *
 *===---------------------------------------------------------------------===*/
#include "qopt_model_desc.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The few driver API types used, as cuda.h declares them. */
typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;
enum { CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
       CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76 };

static struct {
  CUresult (*Init)(unsigned);
  CUresult (*DeviceGetCount)(int *);
  CUresult (*DeviceGet)(CUdevice *, int);
  CUresult (*DeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*DevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*CtxSetCurrent)(CUcontext);
  CUresult (*ModuleLoadData)(CUmodule *, const void *);
  CUresult (*ModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*LaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*MemAlloc)(CUdeviceptr *, size_t);
  CUresult (*MemFree)(CUdeviceptr);
  CUresult (*MemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*MemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  CUresult (*StreamCreate)(CUstream *, unsigned);
  CUresult (*StreamDestroy)(CUstream);
  CUresult (*StreamSynchronize)(CUstream);
  CUresult (*GetErrorName)(CUresult, const char **);
} cu;

/* A kernel image registered by the generated code's constructors. */
typedef struct module_entry {
  const void *image;
  CUmodule module;
  struct module_entry *next;
} module_entry;

static module_entry *modules;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int driver_ready; /* driver loaded and every module loaded */
static CUcontext context;

typedef struct {
  CUstream stream;
  CUdeviceptr arena, weights;
  CUdeviceptr *io;
  size_t *io_bytes;
  size_t num_io;
  CUresult status; /* first failure of a launch during run */
  const char *failed_call;
} cuda_state;

/* The instance running on this thread: the generated code's launches go
 * to its stream. */
static _Thread_local cuda_state *current;

static const char *error_name(CUresult r) {
  const char *name = NULL;
  if (cu.GetErrorName && cu.GetErrorName(r, &name) == 0 && name)
    return name;
  switch (r) { /* what a stub or broken driver cannot name */
  case 34: return "CUDA_ERROR_STUB_LIBRARY (the toolkit's stub, not a driver)";
  case 35: return "CUDA_ERROR_INSUFFICIENT_DRIVER";
  case 100: return "CUDA_ERROR_NO_DEVICE";
  default: return "CUDA error";
  }
}

static qopt_status cuda_fail(char *err, size_t cap, qopt_status s,
                             const char *what, CUresult r) {
  snprintf(err, cap, "%s failed: %s (%d)", what, error_name(r), r);
  return s;
}

/* --- Called by the generated code (upstream's GPU-to-LLVM lowering). --- */

void *mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  module_entry *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  e->image = data;
  pthread_mutex_lock(&lock);
  e->next = modules;
  modules = e;
  pthread_mutex_unlock(&lock);
  return e;
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  (void)optLevel; /* PTX: the driver compiles it at load */
  return mgpuModuleLoad(data, 0);
}

void mgpuModuleUnload(void *module) {
  /* The driver frees modules with the context; process exit order makes
   * unloading here unsafe. */
  (void)module;
}

/* Looked up at every launch: the module holds every kernel of the graph,
 * and the driver's lookup is a table search (no shared cache to race on
 * when several instances run on several threads). */
void *mgpuModuleGetFunction(void *module, const char *name) {
  module_entry *e = module;
  if (!e || !e->module)
    return NULL;
  CUfunction f = NULL;
  CUresult r = cu.ModuleGetFunction(&f, e->module, name);
  if (r != 0) {
    if (current && !current->status) {
      current->status = r;
      current->failed_call = "cuModuleGetFunction";
    }
    return NULL;
  }
  return f;
}

void *mgpuStreamCreate(void) { return current ? current->stream : NULL; }
void mgpuStreamDestroy(void *stream) { (void)stream; }
void mgpuStreamSynchronize(void *stream) { (void)stream; }

void mgpuLaunchKernel(void *function, intptr_t gx, intptr_t gy, intptr_t gz,
                      intptr_t bx, intptr_t by, intptr_t bz, int32_t smem,
                      void *stream, void **params, void **extra,
                      size_t paramsCount) {
  (void)paramsCount;
  if (!current || current->status)
    return;
  if (!function) {
    current->status = -1;
    current->failed_call = "kernel lookup";
    return;
  }
  CUresult r = cu.LaunchKernel((CUfunction)function, (unsigned)gx, (unsigned)gy,
                               (unsigned)gz, (unsigned)bx, (unsigned)by,
                               (unsigned)bz, (unsigned)smem, (CUstream)stream,
                               params, extra);
  if (r != 0) {
    current->status = r;
    current->failed_call = "cuLaunchKernel";
  }
}

/* --- The device half of qopt_model_create / run / destroy. --- */

#define LOAD(field, symbol)                                                    \
  if (!(cu.field = dlsym(lib, symbol))) {                                      \
    snprintf(err, cap, "no CUDA device: the driver library lacks %s", symbol); \
    return QOPT_ERROR_NO_DEVICE;                                               \
  }

static qopt_status load_driver(char *err, size_t cap) {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    snprintf(err, cap,
             "no CUDA device: the CUDA driver (libcuda.so.1) cannot be "
             "loaded (%s)",
             dlerror());
    return QOPT_ERROR_NO_DEVICE;
  }
  LOAD(Init, "cuInit");
  LOAD(DeviceGetCount, "cuDeviceGetCount");
  LOAD(DeviceGet, "cuDeviceGet");
  LOAD(DeviceGetAttribute, "cuDeviceGetAttribute");
  LOAD(DevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  LOAD(CtxSetCurrent, "cuCtxSetCurrent");
  LOAD(ModuleLoadData, "cuModuleLoadData");
  LOAD(ModuleGetFunction, "cuModuleGetFunction");
  LOAD(LaunchKernel, "cuLaunchKernel");
  LOAD(MemAlloc, "cuMemAlloc_v2");
  LOAD(MemFree, "cuMemFree_v2");
  LOAD(MemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
  LOAD(MemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
  LOAD(StreamCreate, "cuStreamCreate");
  LOAD(StreamDestroy, "cuStreamDestroy_v2");
  LOAD(StreamSynchronize, "cuStreamSynchronize");
  LOAD(GetErrorName, "cuGetErrorName");
  return QOPT_OK;
}

/* Driver, device, context and the kernels, once per process. */
static qopt_status init_device(char *err, size_t cap) {
  CUresult r;
  if (driver_ready)
    return (r = cu.CtxSetCurrent(context)) == 0
               ? QOPT_OK
               : cuda_fail(err, cap, QOPT_ERROR_INTERNAL, "cuCtxSetCurrent", r);
  qopt_status s = load_driver(err, cap);
  if (s != QOPT_OK)
    return s;
  if ((r = cu.Init(0)) != 0) {
    snprintf(err, cap, "no CUDA device: cuInit failed: %s (%d)",
             error_name(r), r);
    return QOPT_ERROR_NO_DEVICE;
  }
  int count = 0;
  if (cu.DeviceGetCount(&count) != 0 || count == 0) {
    snprintf(err, cap, "no CUDA device: the driver reports no GPU");
    return QOPT_ERROR_NO_DEVICE;
  }
  const char *env = getenv("QOPT_CUDA_DEVICE");
  int ordinal = env ? atoi(env) : 0;
  if (ordinal < 0 || ordinal >= count) {
    snprintf(err, cap, "QOPT_CUDA_DEVICE=%s: the driver reports %d device(s)",
             env, count);
    return QOPT_ERROR_NO_DEVICE;
  }
  CUdevice dev;
  if ((r = cu.DeviceGet(&dev, ordinal)) != 0)
    return cuda_fail(err, cap, QOPT_ERROR_NO_DEVICE, "cuDeviceGet", r);
  if ((r = cu.DevicePrimaryCtxRetain(&context, dev)) != 0)
    return cuda_fail(err, cap, QOPT_ERROR_NO_DEVICE, "cuDevicePrimaryCtxRetain",
                     r);
  if ((r = cu.CtxSetCurrent(context)) != 0)
    return cuda_fail(err, cap, QOPT_ERROR_INTERNAL, "cuCtxSetCurrent", r);
  for (module_entry *e = modules; e; e = e->next)
    if (!e->module && (r = cu.ModuleLoadData(&e->module, e->image)) != 0) {
      int major = 0, minor = 0;
      cu.DeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                            dev);
      cu.DeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                            dev);
      snprintf(err, cap,
               "loading the kernels on device %d (sm_%d%d) failed: %s (%d); "
               "was the model compiled for a newer --target cuda:sm_XX?",
               ordinal, major, minor, error_name(r), r);
      return QOPT_ERROR_NO_DEVICE;
    }
  driver_ready = 1;
  return QOPT_OK;
}

static size_t tensor_bytes(const qopt_tensor_info *t) {
  size_t n = qopt_dtype_size(t->dtype);
  for (size_t k = 0; k < t->rank; ++k)
    n *= (size_t)t->dims[k];
  return n;
}

static void cuda_destroy(void *p) {
  cuda_state *s = p;
  if (!s)
    return;
  if (s->io)
    for (size_t i = 0; i < s->num_io; ++i)
      if (s->io[i])
        cu.MemFree(s->io[i]);
  if (s->arena)
    cu.MemFree(s->arena);
  if (s->weights)
    cu.MemFree(s->weights);
  if (s->stream)
    cu.StreamDestroy(s->stream);
  free(s->io);
  free(s->io_bytes);
  free(s);
}

static qopt_status device_alloc(CUdeviceptr *p, size_t bytes, const char *what,
                                char *err, size_t cap) {
  CUresult r = cu.MemAlloc(p, bytes ? bytes : 1);
  if (r == 0)
    return QOPT_OK;
  snprintf(err, cap, "cannot allocate the %zu-byte %s on the device: %s (%d)",
           bytes, what, error_name(r), r);
  return QOPT_ERROR_OUT_OF_MEMORY;
}

static qopt_status cuda_create(const qopt_model_desc *d, void **out, char *err,
                               size_t cap) {
  *out = NULL;
  pthread_mutex_lock(&lock);
  qopt_status st = init_device(err, cap);
  pthread_mutex_unlock(&lock);
  if (st != QOPT_OK)
    return st;
  cuda_state *s = calloc(1, sizeof *s);
  if (!s)
    return QOPT_ERROR_OUT_OF_MEMORY;
  s->num_io = d->num_inputs + d->num_outputs;
  s->io = calloc(s->num_io ? s->num_io : 1, sizeof *s->io);
  s->io_bytes = calloc(s->num_io ? s->num_io : 1, sizeof *s->io_bytes);
  CUresult r;
  if (!s->io || !s->io_bytes) {
    cuda_destroy(s);
    return QOPT_ERROR_OUT_OF_MEMORY;
  }
  if ((r = cu.StreamCreate(&s->stream, 0)) != 0) {
    cuda_destroy(s);
    return cuda_fail(err, cap, QOPT_ERROR_INTERNAL, "cuStreamCreate", r);
  }
  if ((st = device_alloc(&s->arena, d->arena_bytes, "arena", err, cap)) ||
      (st = device_alloc(&s->weights, d->device_weights_bytes, "weight buffer",
                         err, cap))) {
    cuda_destroy(s);
    return st;
  }
  for (size_t i = 0; i < s->num_io; ++i) {
    const qopt_tensor_info *t = i < d->num_inputs ? &d->inputs[i]
                                                  : &d->outputs[i - d->num_inputs];
    s->io_bytes[i] = tensor_bytes(t);
    if ((st = device_alloc(&s->io[i], s->io_bytes[i], t->name, err, cap))) {
      cuda_destroy(s);
      return st;
    }
  }
  for (size_t i = 0; i < d->num_device_weights; ++i) {
    const qopt_device_weight *w = &d->device_weights[i];
    if ((r = cu.MemcpyHtoDAsync(s->weights + w->offset, w->host, w->size,
                                s->stream)) != 0) {
      cuda_destroy(s);
      return cuda_fail(err, cap, QOPT_ERROR_INTERNAL, "copying the weights", r);
    }
  }
  if ((r = cu.StreamSynchronize(s->stream)) != 0) {
    cuda_destroy(s);
    return cuda_fail(err, cap, QOPT_ERROR_INTERNAL, "copying the weights", r);
  }
  *out = s;
  return QOPT_OK;
}

static void *cuda_io(void *p, size_t i) { return (void *)((cuda_state *)p)->io[i]; }

static qopt_status cuda_run(void *p, const qopt_model_desc *d,
                            const qopt_tensor *inputs, qopt_tensor *outputs,
                            void **descriptors, char *err, size_t cap) {
  cuda_state *s = p;
  CUresult r;
  if ((r = cu.CtxSetCurrent(context)) != 0)
    return cuda_fail(err, cap, QOPT_ERROR_INTERNAL, "cuCtxSetCurrent", r);
  for (size_t i = 0; i < d->num_inputs; ++i)
    if ((r = cu.MemcpyHtoDAsync(s->io[i], inputs[i].data, s->io_bytes[i],
                                s->stream)) != 0)
      return cuda_fail(err, cap, QOPT_ERROR_INTERNAL, "copying an input", r);
  s->status = 0;
  s->failed_call = NULL;
  current = s;
  d->invoke((void *)s->arena, (void *)s->weights, descriptors);
  current = NULL;
  if (s->status)
    return cuda_fail(err, cap, QOPT_ERROR_INTERNAL, s->failed_call, s->status);
  for (size_t i = 0; i < d->num_outputs; ++i)
    if ((r = cu.MemcpyDtoHAsync(outputs[i].data, s->io[d->num_inputs + i],
                                s->io_bytes[d->num_inputs + i], s->stream)) != 0)
      return cuda_fail(err, cap, QOPT_ERROR_INTERNAL, "copying an output", r);
  if ((r = cu.StreamSynchronize(s->stream)) != 0)
    return cuda_fail(err, cap, QOPT_ERROR_INTERNAL, "running the kernels", r);
  return QOPT_OK;
}

const qopt_device_ops qopt_cuda_device = {cuda_create, cuda_destroy, cuda_io,
                                          cuda_run};
