// RawSingleInserts: the baseline's one-INSERT-per-transaction loop (autocommit,
// the durability under test), run in chunks so that the throughput mode can
// alternate it with omniq's single enqueues. On a shared machine the disk's
// fsync time drifts tenfold within a minute; measured side by side, the two
// see the same disk. The rows go to raw-single.db, removed afterwards.
#pragma once

#include <cstddef>
#include <memory>

#include "bench_options.hpp"

namespace omniq::cli::bench {

class RawSingleInserts {
 public:
  RawSingleInserts(const BenchOptions& o, const ScratchDir& dir);
  ~RawSingleInserts();
  RawSingleInserts(const RawSingleInserts&) = delete;
  RawSingleInserts& operator=(const RawSingleInserts&) = delete;

  // Inserts n more rows, one transaction each; returns the seconds it took.
  double insert(std::size_t n);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniq::cli::bench
