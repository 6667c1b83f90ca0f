/* A stand-in for libcuda.so.1 that runs no kernel but checks how a qopt
 * GPU library drives the CUDA driver API, for tests on machines without a
 * GPU (test_gpu_target.py).
 *
 * Device memory is host memory mapped PROT_NONE: if the library's host code
 * touched a device address itself (instead of through cuMemcpy*), the
 * process dies with SIGSEGV. Copies must fall inside one allocation;
 * launches must have a grid and a block the hardware accepts; modules must
 * be fatbins. At exit it prints what it saw on stderr:
 *   fake-cuda: modules M functions F launches L copies C bytes B errors E
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef unsigned long long CUdeviceptr;

enum { MAX_ALLOCS = 4096 };
static struct {
  uintptr_t base;
  size_t size, mapped;
} allocs[MAX_ALLOCS];
static int modules, functions, launches, copies, errors;
static size_t copied;

static void problem(const char *what) {
  fprintf(stderr, "fake-cuda: error: %s\n", what);
  ++errors;
}

/* The allocation holding [p, p+n), or -1. */
static int find(uintptr_t p, size_t n) {
  for (int i = 0; i < MAX_ALLOCS; ++i)
    if (allocs[i].base && p >= allocs[i].base &&
        p + n <= allocs[i].base + allocs[i].size)
      return i;
  return -1;
}

__attribute__((destructor)) static void report(void) {
  fprintf(stderr,
          "fake-cuda: modules %d functions %d launches %d copies %d bytes %zu "
          "errors %d\n",
          modules, functions, launches, copies, copied, errors);
}

int cuInit(unsigned flags) { return flags ? 1 : 0; }
int cuDeviceGetCount(int *n) { *n = 1; return 0; }
int cuDeviceGet(int *d, int ordinal) { *d = ordinal; return 0; }
int cuDeviceGetAttribute(int *v, int attr, int dev) {
  (void)dev;
  *v = attr == 75 ? 9 : 0; /* sm_90 */
  return 0;
}
int cuDevicePrimaryCtxRetain(void **ctx, int dev) {
  (void)dev;
  *ctx = (void *)0x1;
  return 0;
}
int cuCtxSetCurrent(void *ctx) { return ctx ? 0 : 1; }

int cuModuleLoadData(void **mod, const void *image) {
  uint32_t magic;
  memcpy(&magic, image, sizeof magic);
  if (magic != 0xBA55ED50u) /* fatbin */
    problem("cuModuleLoadData: the image is not a fatbin");
  ++modules;
  *mod = (void *)image;
  return 0;
}

int cuModuleGetFunction(void **f, void *mod, const char *name) {
  (void)mod;
  ++functions;
  *f = strdup(name);
  return 0;
}

int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                   unsigned by, unsigned bz, unsigned smem, void *stream,
                   void **params, void **extra) {
  (void)extra;
  ++launches;
  if (!f || !stream || !params)
    problem("cuLaunchKernel: null function, stream or parameters");
  if (!gx || !gy || !gz || gx > 2147483647u || gy > 65535 || gz > 65535)
    problem("cuLaunchKernel: grid out of range");
  unsigned long threads = (unsigned long)bx * by * bz;
  if (!threads || threads > 1024 || bx % 32)
    problem("cuLaunchKernel: block size out of range or not whole warps");
  if (smem > 48 * 1024)
    problem("cuLaunchKernel: more than 48 KiB of shared memory");
  return 0;
}

int cuMemAlloc_v2(CUdeviceptr *p, size_t n) {
  size_t mapped = (n + 4095) & ~(size_t)4095;
  void *m = mmap(NULL, mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return 2;
  for (int i = 0; i < MAX_ALLOCS; ++i)
    if (!allocs[i].base) {
      allocs[i].base = (uintptr_t)m;
      allocs[i].size = n;
      allocs[i].mapped = mapped;
      *p = (CUdeviceptr)(uintptr_t)m;
      return 0;
    }
  return 2;
}

int cuMemFree_v2(CUdeviceptr p) {
  int i = find((uintptr_t)p, 0);
  if (i < 0 || allocs[i].base != (uintptr_t)p) {
    problem("cuMemFree: not an allocation");
    return 1;
  }
  munmap((void *)allocs[i].base, allocs[i].mapped);
  allocs[i].base = 0;
  return 0;
}

static int copy(void *dst, const void *src, size_t n, uintptr_t device,
                const char *what) {
  int i = find(device, n);
  if (i < 0) {
    problem(what);
    return 1;
  }
  void *base = (void *)allocs[i].base;
  mprotect(base, allocs[i].mapped, PROT_READ | PROT_WRITE);
  memcpy(dst, src, n);
  mprotect(base, allocs[i].mapped, PROT_NONE);
  ++copies;
  copied += n;
  return 0;
}

int cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *h, size_t n, void *s) {
  (void)s;
  return copy((void *)(uintptr_t)d, h, n, (uintptr_t)d,
              "cuMemcpyHtoD: destination outside any allocation");
}

int cuMemcpyDtoHAsync_v2(void *h, CUdeviceptr d, size_t n, void *s) {
  (void)s;
  return copy(h, (const void *)(uintptr_t)d, n, (uintptr_t)d,
              "cuMemcpyDtoH: source outside any allocation");
}

int cuStreamCreate(void **s, unsigned flags) {
  (void)flags;
  *s = (void *)0x2;
  return 0;
}
int cuStreamDestroy_v2(void *s) { (void)s; return 0; }
int cuStreamSynchronize(void *s) { return s ? 0 : 1; }
int cuGetErrorName(int r, const char **name) {
  (void)r;
  *name = "FAKE_ERROR";
  return 0;
}
