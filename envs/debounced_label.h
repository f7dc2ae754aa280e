// A per-step label (phase, mode) that follows a raw value computed from the
// simulator state only once that value has held for `hold_steps` consecutive
// control steps, so that contact chatter or a one-step wobble does not flip
// it. The label therefore lags a real change by hold_steps - 1 steps, and a
// raw value that lasts fewer steps is never shown.
#pragma once

namespace bcbench {

class DebouncedLabel {
 public:
  DebouncedLabel(int hold_steps, int value) : hold_steps_(hold_steps) { Reset(value); }

  void Reset(int value) {
    value_ = value;
    pending_ = value;
    streak_ = 0;
  }
  // Feeds this step's raw value; returns the label after it.
  int Update(int raw) {
    if (raw == value_) {
      pending_ = value_;
      streak_ = 0;
      return value_;
    }
    streak_ = raw == pending_ ? streak_ + 1 : 1;
    pending_ = raw;
    if (streak_ >= hold_steps_) Reset(raw);
    return value_;
  }

  int value() const { return value_; }
  // The raw value waiting to take over and for how many steps it has held;
  // with value(), the whole state (SimState round trips).
  int pending() const { return pending_; }
  int streak() const { return streak_; }
  int hold_steps() const { return hold_steps_; }
  // Whether (value, pending, streak) is a state Update can produce.
  bool Valid(int value, int pending, int streak) const {
    return streak >= 0 && streak < hold_steps_ && (streak == 0 ? pending == value : pending != value);
  }
  void Restore(int value, int pending, int streak) {
    value_ = value;
    pending_ = pending;
    streak_ = streak;
  }

 private:
  int hold_steps_ = 2;
  int value_ = 0;
  int pending_ = 0;
  int streak_ = 0;
};

}  // namespace bcbench
