//===- BufferPlanner.h - Static offsets for buffers in one arena -*- C++ -*-===//
//
// Pure algorithm, independent of MLIR: given buffers with a size and a live
// interval over a straight-line schedule, assign byte offsets in one arena
// so that buffers live at the same time never share a byte.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_ANALYSIS_BUFFERPLANNER_H
#define QOPT_ANALYSIS_BUFFERPLANNER_H

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::qopt {

struct PlannedBuffer {
  uint64_t size = 0;  // bytes
  int64_t start = 0;  // first program point where the buffer is live
  int64_t end = 0;    // last program point where it is live (inclusive)
  uint64_t offset = 0; // assigned
};

/// True when the live intervals of `a` and `b` share a program point.
inline bool livesOverlap(const PlannedBuffer &a, const PlannedBuffer &b) {
  return a.start <= b.end && b.start <= a.end;
}

enum class PlacementStrategy {
  /// Largest first, each into the smallest gap that fits among the placed
  /// buffers it conflicts with (TFLite's ArenaPlanner).
  GreedyBySizeBestFit,
  /// Buffers with the most conflicting bytes first, first fit.
  GreedyByConflicts,
  /// In order of lifetime start, first fit (a linear-scan allocator).
  GreedyByStart,
};

const char *strategyName(PlacementStrategy s);

struct ArenaPlan {
  std::vector<PlannedBuffer> buffers; // same order as the input
  uint64_t arenaBytes = 0;
  uint64_t lowerBoundBytes = 0;
  PlacementStrategy strategy = PlacementStrategy::GreedyBySizeBestFit;
};

/// Rounds `size` up to `alignment` (a power of two).
uint64_t alignTo(uint64_t size, uint64_t alignment);

/// Max over program points of the bytes (each size aligned) live there: no
/// placement can use less.
uint64_t arenaLowerBound(const std::vector<PlannedBuffer> &buffers,
                         uint64_t alignment);

/// Places buffers with one strategy; offsets are multiples of `alignment`.
ArenaPlan placeBuffers(std::vector<PlannedBuffer> buffers,
                       PlacementStrategy strategy, uint64_t alignment);

/// Runs every strategy and keeps the smallest arena.
ArenaPlan planArena(const std::vector<PlannedBuffer> &buffers,
                    uint64_t alignment);

/// Checks that no two buffers with overlapping lifetimes share a byte and
/// that each fits in the arena; returns a description of the first
/// violation, or "" when the plan is valid.
std::string verifyPlan(const ArenaPlan &plan);

} // namespace mlir::qopt

#endif // QOPT_ANALYSIS_BUFFERPLANNER_H
