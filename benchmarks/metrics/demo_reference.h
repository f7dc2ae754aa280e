// What a cell's policy is compared against: the figures of the demos it was
// trained on, counted by the same rules as the policy's episodes.
#pragma once

#include <limits>
#include <map>
#include <string>

namespace bcbench {

struct DemoReference {
  // Per mode name, the demos' fraction (or count: CellMetrics normalises it).
  std::map<std::string, double> mode_fractions;
  double idle_fraction = 0;  // step-weighted, as ValidateDemoFile counts it
  // Mean mode switches per demo (CountModeSwitches on its per-step modes);
  // NaN: not known (files without per-step modes).
  double mode_switches = std::numeric_limits<double>::quiet_NaN();
};

// The reference of a demo file (the HDF5 layout of datasets/demo_file.h):
// each demo's mode by name (kNoMode for a demo without one), the file's idle
// fraction from ValidateDemoFile, and the mean mode switches when every demo
// has per-step modes. Throws what DemoFile and ValidateDemoFile throw for a
// missing or broken file.
DemoReference DemoReferenceOf(const std::string& demo_path);

}  // namespace bcbench
