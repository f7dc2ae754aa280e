#include "benchmarks/report/csv_table.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace bcbench {
namespace {

std::vector<std::string> SplitFields(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string::npos ? std::string::npos
                                                                   : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return fields;
}

}  // namespace

CsvTable CsvTable::Parse(const std::string& text, const std::string& source) {
  CsvTable table;
  table.source_ = source;
  std::istringstream in(text);
  std::string line;
  int line_number = 0;
  bool have_header = false;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line.find('"') != std::string::npos) {
      throw ReportInputError(fmt::format(
          "{}:{}: a quoted field; bcbench's CSV files never quote fields, so this file was not "
          "written by bcbench or was edited: regenerate it with `bcbench bench`",
          source, line_number));
    }
    std::vector<std::string> fields = SplitFields(line);
    if (!have_header) {
      std::set<std::string> seen;
      for (const auto& name : fields) {
        if (name.empty()) {
          throw ReportInputError(fmt::format("{}:{}: the header has an empty column name", source,
                                             line_number));
        }
        if (!seen.insert(name).second) {
          throw ReportInputError(fmt::format("{}:{}: the header names column '{}' twice", source,
                                             line_number, name));
        }
      }
      table.header_ = std::move(fields);
      have_header = true;
      continue;
    }
    if (fields.size() != table.header_.size()) {
      throw ReportInputError(fmt::format(
          "{}:{}: {} fields where the header has {}; the line is cut short or has extra commas "
          "(regenerate the file with `bcbench bench`)",
          source, line_number, fields.size(), table.header_.size()));
    }
    table.rows_.push_back(std::move(fields));
    table.lines_.push_back(line_number);
  }
  if (!have_header) {
    throw ReportInputError(fmt::format("{}: the file is empty (no header line)", source));
  }
  return table;
}

int CsvTable::FindColumn(const std::string& name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

void CsvTable::RequireColumns(const std::vector<std::string>& names) const {
  std::string missing;
  for (const auto& name : names) {
    if (!HasColumn(name)) missing += (missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty()) {
    throw ReportInputError(fmt::format(
        "{}:1: the header lacks the column(s) {}; the file is from another version of bcbench "
        "or not a suite output file",
        source_, missing));
  }
}

const std::string& CsvTable::Text(size_t row, int column) const {
  return rows_.at(row).at(static_cast<size_t>(column));
}

const std::string& CsvTable::Text(size_t row, const std::string& column) const {
  const int c = FindColumn(column);
  if (c < 0) RequireColumns({column});
  return Text(row, c);
}

double CsvTable::Number(size_t row, int column) const {
  const std::string& text = Text(row, column);
  if (text.empty() || text == "nan" || text == "NaN" || text == "-nan") return std::nan("");
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE) {
    Fail(row, column, fmt::format("'{}' is not a number", text));
  }
  return value;
}

double CsvTable::Number(size_t row, const std::string& column) const {
  const int c = FindColumn(column);
  if (c < 0) RequireColumns({column});
  return Number(row, c);
}

void CsvTable::Fail(size_t row, int column, const std::string& why) const {
  throw ReportInputError(fmt::format("{}:{}: column '{}': {}", source_, lines_.at(row),
                                     header_.at(static_cast<size_t>(column)), why));
}

}  // namespace bcbench
