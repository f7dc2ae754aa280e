// Runs a per-row computation so that each row's numbers do not depend on the
// batch it came in (SPEC 5: evaluation rows are the same batched, one by one,
// across threads and shards). Every row runs as a batch of one on a LibTorch
// worker inside a parallel region, where both ATen and OpenBLAS stay
// single-threaded, so no kernel splits a row differently from one call to the
// next. With one LibTorch thread the rows run inline, single-threaded as well.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include <ATen/Parallel.h>

namespace bcbench {

template <typename Body>
void ForEachRowAlone(int64_t rows, const Body& body) {
  const int64_t threads = at::in_parallel_region() ? 1 : at::get_num_threads();
  // At least two work items, so that with several threads even a single row
  // runs inside a parallel region (at::parallel_for runs one item inline).
  const int64_t workers = std::max<int64_t>(2, std::min(rows, threads));
  std::atomic<int64_t> next{0};
  at::parallel_for(0, workers, 1, [&](int64_t, int64_t) {
    for (int64_t b = next++; b < rows; b = next++) body(b);
  });
}

}  // namespace bcbench
