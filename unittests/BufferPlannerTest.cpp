//===- BufferPlannerTest.cpp - Offsets of the arena planner ---------------===//
//
// Every plan is checked for the one property that matters (buffers live at
// the same time never share a byte) and measured against the lower bound.
//
//===----------------------------------------------------------------------===//
#include "qopt/Analysis/BufferPlanner.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

using namespace mlir::qopt;

namespace {

std::vector<PlannedBuffer> make(std::initializer_list<std::array<int64_t, 3>> l) {
  std::vector<PlannedBuffer> out;
  for (auto [size, start, end] : l) {
    PlannedBuffer b;
    b.size = size;
    b.start = start;
    b.end = end;
    out.push_back(b);
  }
  return out;
}

/// Asserts validity and returns arena / lower bound.
double checkPlan(const ArenaPlan &plan, const char *what) {
  std::string err = verifyPlan(plan);
  EXPECT_EQ(err, "") << what;
  for (const PlannedBuffer &b : plan.buffers)
    EXPECT_EQ(b.offset % 64, 0u) << what;
  EXPECT_GE(plan.arenaBytes, plan.lowerBoundBytes) << what;
  double ratio = plan.lowerBoundBytes
                     ? (double)plan.arenaBytes / plan.lowerBoundBytes
                     : 1.0;
  std::printf("[ plan     ] %-32s arena %8llu  lower bound %8llu  ratio %.3f (%s)\n",
              what, (unsigned long long)plan.arenaBytes,
              (unsigned long long)plan.lowerBoundBytes, ratio,
              strategyName(plan.strategy));
  return ratio;
}

TEST(BufferPlanner, EmptyPlanIsEmpty) {
  ArenaPlan p = planArena({}, 64);
  EXPECT_EQ(p.arenaBytes, 0u);
  EXPECT_EQ(p.lowerBoundBytes, 0u);
}

TEST(BufferPlanner, LowerBoundIsMaxLiveBytes) {
  // Live sets: t0 {a}, t1 {a,b}, t2 {b,c}, t3 {c}: max is 64+128 = 192.
  auto bs = make({{64, 0, 1}, {128, 1, 2}, {64, 2, 3}});
  EXPECT_EQ(arenaLowerBound(bs, 64), 192u);
  // Sizes are aligned before summing.
  EXPECT_EQ(arenaLowerBound(make({{1, 0, 0}, {1, 0, 0}}), 64), 128u);
}

TEST(BufferPlanner, DisjointLifetimesShareMemory) {
  auto bs = make({{1024, 0, 1}, {1024, 2, 3}, {1024, 4, 5}});
  ArenaPlan p = planArena(bs, 64);
  checkPlan(p, "chain of three");
  EXPECT_EQ(p.arenaBytes, 1024u);
}

TEST(BufferPlanner, OverlappingLifetimesNeverShareBytes) {
  auto bs = make({{100, 0, 5}, {200, 0, 5}, {300, 0, 5}});
  ArenaPlan p = planArena(bs, 64);
  checkPlan(p, "all live together");
  EXPECT_EQ(p.arenaBytes, p.lowerBoundBytes);
}

TEST(BufferPlanner, InclusiveEndpointsConflict) {
  // b starts at the point where a ends: both are live there.
  auto bs = make({{64, 0, 3}, {64, 3, 6}});
  ArenaPlan p = planArena(bs, 64);
  checkPlan(p, "touching intervals");
  EXPECT_EQ(p.arenaBytes, 128u);
}

TEST(BufferPlanner, EveryStrategyIsValid) {
  auto bs = make({{4096, 0, 2}, {64, 1, 9}, {2048, 3, 4}, {2048, 3, 5},
                  {4096, 5, 8}, {128, 6, 7}});
  for (PlacementStrategy s :
       {PlacementStrategy::GreedyBySizeBestFit, PlacementStrategy::GreedyByConflicts,
        PlacementStrategy::GreedyByStart})
    checkPlan(placeBuffers(bs, s, 64), strategyName(s));
  ArenaPlan best = planArena(bs, 64);
  for (PlacementStrategy s :
       {PlacementStrategy::GreedyBySizeBestFit, PlacementStrategy::GreedyByConflicts,
        PlacementStrategy::GreedyByStart})
    EXPECT_LE(best.arenaBytes, placeBuffers(bs, s, 64).arenaBytes);
}

// Adversarial for largest-first: a long-lived small buffer placed after the
// large ones splits the gap they leave (the classic fragmentation trap).
TEST(BufferPlanner, AdversarialFragmentation) {
  auto bs = make({{1000, 0, 1}, {1000, 2, 3}, {10, 1, 2}, {1990, 4, 5},
                  {10, 0, 5}, {500, 3, 4}, {1500, 0, 0}});
  double ratio = checkPlan(planArena(bs, 64), "fragmentation trap");
  EXPECT_LE(ratio, 1.5);
}

// Staircase lifetimes of growing sizes (an encoder's activations).
TEST(BufferPlanner, Staircase) {
  std::vector<PlannedBuffer> bs;
  for (int i = 0; i < 64; ++i) {
    PlannedBuffer b;
    b.size = 1024u * (1 + i % 7);
    b.start = i;
    b.end = i + 2;
    bs.push_back(b);
  }
  double ratio = checkPlan(planArena(bs, 64), "staircase");
  EXPECT_LE(ratio, 1.10);
}

// Random interval sets: validity always; the ratio is reported and bounded
// loosely (greedy planners are not optimal in general).
TEST(BufferPlanner, RandomIntervalSets) {
  std::mt19937_64 rng(42);
  double worst = 1.0, sum = 0;
  const int trials = 200;
  for (int t = 0; t < trials; ++t) {
    std::vector<PlannedBuffer> bs;
    int n = 5 + (int)(rng() % 60);
    for (int i = 0; i < n; ++i) {
      PlannedBuffer b;
      b.size = 1 + rng() % (1 << (4 + rng() % 14));
      b.start = (int64_t)(rng() % 100);
      b.end = b.start + (int64_t)(rng() % 20);
      bs.push_back(b);
    }
    ArenaPlan p = planArena(bs, 64);
    ASSERT_EQ(verifyPlan(p), "") << "trial " << t;
    double r = (double)p.arenaBytes / p.lowerBoundBytes;
    worst = std::max(worst, r);
    sum += r;
  }
  std::printf("[ plan     ] random sets: mean ratio %.3f, worst %.3f over %d\n",
              sum / trials, worst, trials);
  EXPECT_LE(worst, 2.0);
}

TEST(BufferPlanner, VerifyCatchesOverlap) {
  ArenaPlan p;
  p.buffers = make({{128, 0, 2}, {128, 1, 3}});
  p.buffers[1].offset = 64; // overlaps bytes [64, 128) while both live
  p.arenaBytes = 192;
  EXPECT_NE(verifyPlan(p), "");
}

} // namespace
