// The training log, out_dir/train_log.csv: one row per logging interval
// (step,loss,lr,valid_loss,eval_success,eval_score,elapsed_s). Its one home:
// the trainer writes it, resumes from it, and the suite runner reads its
// last row for progress and wall-clock caps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bcbench {

// The mean loss over the interval that ends at `step`; no valid_loss and no
// evals where that step had none (a validation loss may be negative: a
// mixture's negative log-likelihood).
struct TrainLogRow {
  int64_t step = 0;
  double loss = 0;
  double lr = 0;
  std::optional<double> valid_loss, eval_success, eval_score;
  double elapsed_s = 0;
};

// The whole file's text: header and rows.
std::string TrainLogCsv(const std::vector<TrainLogRow>& rows);

// Appends one row. The trainer appends a row per interval and rewrites the
// file atomically at each checkpoint, so a run killed mid-append can leave at
// most a torn last line behind.
void AppendTrainLogRow(const std::string& path, const TrainLogRow& row);

// The complete rows, in order: reading stops at the first line that is
// unterminated or does not parse (a torn tail). Empty when the file is missing.
std::vector<TrainLogRow> ReadTrainLog(const std::string& path);

// Whether the file holds exactly TrainLogCsv(rows), byte for byte.
bool TrainLogHolds(const std::string& path, const std::vector<TrainLogRow>& rows);

}  // namespace bcbench
