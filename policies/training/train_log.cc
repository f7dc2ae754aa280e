#include "policies/training/train_log.h"

#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "datasets/atomic_file.h"

namespace bcbench {
namespace {

constexpr char kHeader[] = "step,loss,lr,valid_loss,eval_success,eval_score,elapsed_s\n";

std::string Line(const TrainLogRow& r) {
  auto optional = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.6g}", *v) : std::string();
  };
  return fmt::format("{},{:.6g},{:.6g},{},{},{},{:.1f}\n", r.step, r.loss, r.lr,
                     optional(r.valid_loss), optional(r.eval_success), optional(r.eval_score), r.elapsed_s);
}

// A number filling the whole field, or nullopt for an empty field; anything
// else throws (a torn "0.01" of "0.0123" still parses, but a torn row also
// loses its later fields or its newline).
std::optional<double> Number(const std::string& field) {
  if (field.empty()) return std::nullopt;
  size_t used = 0;
  const double v = std::stod(field, &used);
  if (used != field.size()) throw std::invalid_argument("trailing characters");
  return v;
}

}  // namespace

std::string TrainLogCsv(const std::vector<TrainLogRow>& rows) {
  std::string text = kHeader;
  for (const auto& r : rows) text += Line(r);
  return text;
}

void AppendTrainLogRow(const std::string& path, const TrainLogRow& row) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << Line(row);
  out.flush();
  if (!out) throw std::runtime_error("cannot append to " + path);
}

std::vector<TrainLogRow> ReadTrainLog(const std::string& path) {
  const std::string text = ReadFileText(path).value_or("");
  std::vector<TrainLogRow> rows;
  size_t begin = text.find('\n');  // the header's end
  while (begin != std::string::npos && begin + 1 < text.size()) {
    const size_t end = text.find('\n', begin + 1);
    if (end == std::string::npos) break;  // unterminated: torn
    const std::string line = text.substr(begin + 1, end - begin - 1);
    begin = end;
    std::vector<std::string> f;
    size_t from = 0;
    for (size_t comma; (comma = line.find(',', from)) != std::string::npos; from = comma + 1) {
      f.push_back(line.substr(from, comma - from));
    }
    f.push_back(line.substr(from));
    if (f.size() != 7) break;
    try {
      TrainLogRow r;
      r.step = static_cast<int64_t>(Number(f[0]).value());
      r.loss = Number(f[1]).value();
      r.lr = Number(f[2]).value();
      r.valid_loss = Number(f[3]);
      r.eval_success = Number(f[4]);
      r.eval_score = Number(f[5]);
      r.elapsed_s = Number(f[6]).value();
      rows.push_back(r);
    } catch (const std::exception&) {
      break;  // a damaged tail is dropped; the rows before it stand
    }
  }
  return rows;
}

bool TrainLogHolds(const std::string& path, const std::vector<TrainLogRow>& rows) {
  return ReadFileText(path) == TrainLogCsv(rows);
}

}  // namespace bcbench
