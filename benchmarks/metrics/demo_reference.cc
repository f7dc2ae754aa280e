#include "benchmarks/metrics/demo_reference.h"

#include "benchmarks/metrics/episode_metrics.h"
#include "benchmarks/metrics/episode_rows.h"
#include "datasets/demo_file.h"
#include "datasets/demo_validation.h"

namespace bcbench {

DemoReference DemoReferenceOf(const std::string& demo_path) {
  DemoReference ref;
  ref.idle_fraction = ValidateDemoFile(demo_path).idle_fraction;
  const DemoFile file = DemoFile::Open(demo_path);
  const auto& mode_names = file.labels().modes;
  const auto names = file.demo_names();
  double switches = 0;
  bool every_demo_has_step_modes = !names.empty();
  for (const auto& name : names) {
    const Demo demo = file.ReadDemo(name);
    const int mode = demo.mode.value_or(-1);
    ref.mode_fractions[mode >= 0 && static_cast<size_t>(mode) < mode_names.size()
                           ? mode_names[static_cast<size_t>(mode)]
                           : kNoMode] += 1.0 / static_cast<double>(names.size());
    if (demo.mode_t.empty()) every_demo_has_step_modes = false;
    switches += CountModeSwitches({demo.mode_t.begin(), demo.mode_t.end()});
  }
  if (every_demo_has_step_modes) ref.mode_switches = switches / static_cast<double>(names.size());
  return ref;
}

}  // namespace bcbench
