// `omniq bench --backend postgres --baseline raw-postgres`: the queue's work
// done by hand on libpq (raw_postgres.cpp), and RawPgSingleInserts, its
// one-INSERT-per-transaction loop, run in chunks so that the throughput mode
// can alternate it with omniq's single enqueues (see raw_sqlite.hpp). Each
// works in a scratch schema of its own (pg_scratch.hpp), dropped afterwards.
#pragma once

#include <cstddef>
#include <memory>

#include "bench_options.hpp"

namespace omniq::cli::bench {

class RawPgSingleInserts {
 public:
  // Throws std::runtime_error when the server cannot be used.
  explicit RawPgSingleInserts(const BenchOptions& o);
  ~RawPgSingleInserts();
  RawPgSingleInserts(const RawPgSingleInserts&) = delete;
  RawPgSingleInserts& operator=(const RawPgSingleInserts&) = delete;

  // Inserts n more rows, one transaction each; returns the seconds it took.
  double insert(std::size_t n);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Inserts o.tasks rows, o.batch per transaction, then drains them o.batch per
// transaction; returns the baseline's figures (as run_raw_sqlite does).
Json run_raw_postgres(const BenchOptions& o);

}  // namespace omniq::cli::bench
