// The suite's CSV files (episodes.csv, cells.csv, probe.csv) as tables of
// text fields addressed by column name. The writers never put a comma, quote
// or newline inside a field, so a line splits on every comma; a field that
// does contain a quote is refused rather than guessed at.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace bcbench {

// Malformed suite output: the message names the file, the line and what is
// wrong. Derives from std::invalid_argument, which the CLI answers with exit 2.
class ReportInputError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class CsvTable {
 public:
  // Parses `text`; `source` (a path) names the file in error messages. The
  // first line is the header; every later line must have as many fields.
  // Blank lines (a trailing newline) are skipped. Throws ReportInputError.
  static CsvTable Parse(const std::string& text, const std::string& source);

  const std::string& Source() const { return source_; }
  const std::vector<std::string>& Header() const { return header_; }
  size_t Rows() const { return rows_.size(); }
  // The column's index, or -1.
  int FindColumn(const std::string& name) const;
  bool HasColumn(const std::string& name) const { return FindColumn(name) >= 0; }
  // Throws ReportInputError naming the file and the missing columns.
  void RequireColumns(const std::vector<std::string>& names) const;

  const std::string& Text(size_t row, int column) const;
  const std::string& Text(size_t row, const std::string& column) const;
  // The field as a number: an empty field, "nan" or "NaN" is NaN (no value);
  // anything else that is not a whole number in C syntax throws
  // ReportInputError naming file, line and column.
  double Number(size_t row, int column) const;
  double Number(size_t row, const std::string& column) const;
  // The line number (1-based, header = 1) a row came from.
  int Line(size_t row) const { return lines_[row]; }

 private:
  [[noreturn]] void Fail(size_t row, int column, const std::string& why) const;

  std::string source_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<int> lines_;
};

}  // namespace bcbench
