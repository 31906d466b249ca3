// Fixture of the hostile-input tests: an OmniQ over each backend in a
// temporary directory, and a snapshot of everything under that directory so a
// test can show that a hostile input touched nothing.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "omniq/omniq.hpp"
#include "support/backends.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {

namespace fs = std::filesystem;
using namespace std::chrono;

// Every path under `root` (the store's files included) with its size, for
// files, or -1 for directories.
inline std::map<std::string, long long> snapshot(const fs::path& root) {
  std::map<std::string, long long> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    bool file = e.is_regular_file();
    out[e.path().lexically_relative(root).string()] =
        file ? static_cast<long long>(e.file_size()) : -1;
  }
  return out;
}

class HostileInput : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    settings_.log_level = LogLevel::error;
    fs::create_directory(dir_ / "inner");
    oq_ = std::make_unique<OmniQ>(GetParam().open(dir_ / "inner"), settings_);
  }

  OmniQ& oq() { return *oq_; }

  TempDir dir_;  // the store lives in dir_/inner; dir_ is its parent
  Settings settings_;
  std::unique_ptr<OmniQ> oq_;
};

// Ids that must never reach a path or a query.
inline std::vector<std::string> hostile_ids() {
  return {"../x",
          "../../../../../../tmp/omniq-escape",
          "/etc/passwd",
          "a/b",
          "..",
          ".",
          "",
          std::string("a\0b", 3),
          std::string("\0", 1),
          std::string(10 * 1024, 'a'),
          std::string(10 * 1024, '\x14'),
          "\xd1\x82\xd0\xb5\xd1\x81\xd1\x82",  // "тест"
          "\xff\xfe",
          "a\\b",
          "a b",
          "a\nb",
          "x;rm -rf ~",
          "x' OR '1'='1",
          "%2e%2e%2f"};
}

}  // namespace omniq::testing
