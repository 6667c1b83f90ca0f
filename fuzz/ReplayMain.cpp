//===- ReplayMain.cpp - run a fuzz target over files, without libFuzzer ---===//
//
// Linked with a fuzz target's source into a plain executable (any compiler,
// no -fsanitize=fuzzer): `qopt-fuzz-X-replay FILE|DIR...` feeds every file,
// directories recursively in sorted order, to LLVMFuzzerTestOneInput. The
// fuzz-smoke tests run the seed corpus through it, and it reproduces a
// crash libFuzzer found (`qopt-fuzz-X-replay crash-...`) in a debugger.
//
//===----------------------------------------------------------------------===//
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv);

/// Appends the regular files at `path` (recursing into directories) to
/// `files`; false when `path` does not exist.
static bool collectFiles(const std::string &path,
                         std::vector<std::string> &files) {
  if (!llvm::sys::fs::is_directory(path)) {
    if (!llvm::sys::fs::exists(path))
      return false;
    files.push_back(path);
    return true;
  }
  std::vector<std::string> inDir;
  std::error_code ec;
  for (llvm::sys::fs::recursive_directory_iterator it(path, ec), end;
       it != end && !ec; it.increment(ec))
    if (!llvm::sys::fs::is_directory(it->path()))
      inDir.push_back(it->path());
  llvm::sort(inDir);
  llvm::append_range(files, inDir);
  return !ec;
}

int main(int argc, char **argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i)
    if (!collectFiles(argv[i], files)) {
      llvm::errs() << argv[0] << ": cannot read '" << argv[i] << "'\n";
      return 2;
    }
  // Running nothing would pass vacuously: an empty corpus is an error.
  if (files.empty()) {
    llvm::errs() << "usage: " << argv[0] << " FILE|DIR... (no input given)\n";
    return 2;
  }
  LLVMFuzzerInitialize(&argc, &argv);
  for (const std::string &file : files) {
    auto buf = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    if (!buf) {
      llvm::errs() << argv[0] << ": cannot read '" << file << "'\n";
      return 2;
    }
    // Named before it runs, so that a crash shows which input it was.
    llvm::errs() << "Running: " << file << "\n";
    LLVMFuzzerTestOneInput(
        reinterpret_cast<const uint8_t *>((*buf)->getBufferStart()),
        (*buf)->getBufferSize());
  }
  llvm::errs() << "Executed " << files.size() << " inputs, none crashed\n";
  return 0;
}
