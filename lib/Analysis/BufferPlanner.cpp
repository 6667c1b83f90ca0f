//===- BufferPlanner.cpp - Static offsets for buffers in one arena --------===//
#include "qopt/Analysis/BufferPlanner.h"

#include <algorithm>
#include <map>
#include <numeric>

using namespace mlir::qopt;

const char *mlir::qopt::strategyName(PlacementStrategy s) {
  switch (s) {
  case PlacementStrategy::GreedyBySizeBestFit: return "greedy-by-size-best-fit";
  case PlacementStrategy::GreedyByConflicts: return "greedy-by-conflicts";
  case PlacementStrategy::GreedyByStart: return "greedy-by-start";
  }
  return "unknown";
}

uint64_t mlir::qopt::alignTo(uint64_t size, uint64_t alignment) {
  return (size + alignment - 1) / alignment * alignment;
}

uint64_t mlir::qopt::arenaLowerBound(const std::vector<PlannedBuffer> &buffers,
                                     uint64_t alignment) {
  // Sweep the interval endpoints: +size at start, -size after end.
  std::map<int64_t, int64_t> delta;
  for (const PlannedBuffer &b : buffers) {
    int64_t s = (int64_t)alignTo(b.size, alignment);
    delta[b.start] += s;
    delta[b.end + 1] -= s;
  }
  int64_t live = 0, best = 0;
  for (auto &[point, d] : delta) {
    live += d;
    best = std::max(best, live);
  }
  return (uint64_t)best;
}

/// Places buffer `i` at the lowest-waste offset among the gaps left by the
/// already placed buffers whose lifetimes overlap it.
static uint64_t findOffset(const std::vector<PlannedBuffer> &buffers,
                           const std::vector<size_t> &placed, size_t i,
                           uint64_t alignment, bool bestFit) {
  const PlannedBuffer &b = buffers[i];
  uint64_t need = alignTo(b.size, alignment);
  std::vector<std::pair<uint64_t, uint64_t>> busy; // [offset, end)
  for (size_t j : placed)
    if (livesOverlap(buffers[j], b))
      busy.push_back({buffers[j].offset,
                      buffers[j].offset + alignTo(buffers[j].size, alignment)});
  std::sort(busy.begin(), busy.end());
  uint64_t cursor = 0, bestOffset = UINT64_MAX, bestWaste = UINT64_MAX;
  for (auto [lo, hi] : busy) {
    if (lo > cursor && lo - cursor >= need) {
      uint64_t waste = lo - cursor - need;
      if (!bestFit)
        return cursor;
      if (waste < bestWaste) {
        bestWaste = waste;
        bestOffset = cursor;
      }
    }
    cursor = std::max(cursor, hi);
  }
  return bestOffset != UINT64_MAX ? bestOffset : cursor;
}

ArenaPlan mlir::qopt::placeBuffers(std::vector<PlannedBuffer> buffers,
                                   PlacementStrategy strategy,
                                   uint64_t alignment) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  auto bySizeThenStart = [&](size_t a, size_t b) {
    if (buffers[a].size != buffers[b].size)
      return buffers[a].size > buffers[b].size;
    return buffers[a].start < buffers[b].start;
  };
  switch (strategy) {
  case PlacementStrategy::GreedyBySizeBestFit:
    std::stable_sort(order.begin(), order.end(), bySizeThenStart);
    break;
  case PlacementStrategy::GreedyByConflicts: {
    std::vector<uint64_t> conflict(buffers.size(), 0);
    for (size_t a = 0; a < buffers.size(); ++a)
      for (size_t b = 0; b < buffers.size(); ++b)
        if (a != b && livesOverlap(buffers[a], buffers[b]))
          conflict[a] += buffers[b].size;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      uint64_t ca = conflict[a] + buffers[a].size, cb = conflict[b] + buffers[b].size;
      return ca != cb ? ca > cb : bySizeThenStart(a, b);
    });
    break;
  }
  case PlacementStrategy::GreedyByStart:
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return buffers[a].start != buffers[b].start ? buffers[a].start < buffers[b].start
                                                  : bySizeThenStart(a, b);
    });
    break;
  }
  std::vector<size_t> placed;
  ArenaPlan plan;
  for (size_t i : order) {
    buffers[i].offset = findOffset(
        buffers, placed, i, alignment,
        /*bestFit=*/strategy == PlacementStrategy::GreedyBySizeBestFit);
    placed.push_back(i);
    plan.arenaBytes =
        std::max(plan.arenaBytes, buffers[i].offset + alignTo(buffers[i].size, alignment));
  }
  plan.lowerBoundBytes = arenaLowerBound(buffers, alignment);
  plan.buffers = std::move(buffers);
  plan.strategy = strategy;
  return plan;
}

ArenaPlan mlir::qopt::planArena(const std::vector<PlannedBuffer> &buffers,
                                uint64_t alignment) {
  ArenaPlan best;
  bool first = true;
  for (PlacementStrategy s :
       {PlacementStrategy::GreedyBySizeBestFit, PlacementStrategy::GreedyByConflicts,
        PlacementStrategy::GreedyByStart}) {
    ArenaPlan p = placeBuffers(buffers, s, alignment);
    if (first || p.arenaBytes < best.arenaBytes)
      best = std::move(p);
    first = false;
  }
  return best;
}

std::string mlir::qopt::verifyPlan(const ArenaPlan &plan) {
  const auto &bs = plan.buffers;
  for (size_t a = 0; a < bs.size(); ++a) {
    if (bs[a].offset + bs[a].size > plan.arenaBytes)
      return "buffer " + std::to_string(a) + " ends past the arena";
    for (size_t b = a + 1; b < bs.size(); ++b) {
      if (!livesOverlap(bs[a], bs[b]) || !bs[a].size || !bs[b].size)
        continue;
      bool disjoint = bs[a].offset + bs[a].size <= bs[b].offset ||
                      bs[b].offset + bs[b].size <= bs[a].offset;
      if (!disjoint)
        return "buffers " + std::to_string(a) + " and " + std::to_string(b) +
               " are live together and share bytes";
    }
  }
  return "";
}
