// Output helpers shared by the subcommands: aligned tables, JSON, and the
// human forms of times, ages and values.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omniq/task.hpp"

namespace omniq::cli {

// Rows of text printed in aligned columns (the last column is not padded).
class Table {
 public:
  Table() = default;
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // Prints the header (if any) and the rows, each line starting with `indent`.
  void print(std::ostream& out, std::string_view indent = "") const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Prints v as indented JSON and a newline; invalid UTF-8 is replaced, never fatal.
void print_json(std::ostream& out, const Value& v);
// v as one line of JSON, cut to at most max_chars (with "..." when cut).
std::string compact_json(const Value& v, std::size_t max_chars = 60);

// "2030-01-02 03:04:05Z" (UTC, to the second), or "-".
std::string format_when(std::optional<Timestamp> t);
// A duration for people: "850ms", "3.2s", "5m 07s", "2h 03m", "3d 04h".
std::string format_age(Duration d);

// The text with each invalid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace omniq::cli
