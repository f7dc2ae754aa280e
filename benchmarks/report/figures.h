// The report's figures as gnuplot jobs (benchmarks/report/gnuplot.h), built
// from a loaded suite folder. Each builder returns nothing when the suite has
// no data for its figure; the summary then says so.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "benchmarks/report/gnuplot.h"
#include "benchmarks/report/suite_data.h"

namespace bcbench {

// Success and score with their 95% intervals, bars per env x policy
// (the main table's cells).
std::optional<Figure> SuccessFigure(const SuiteData& data);
// Per env, the fraction of episodes ending in each mode (Wilson intervals)
// for every policy next to the demos' fraction (mode_frac_<m>,
// demo_mode_frac_<m>).
std::optional<Figure> ModeFigure(const SuiteData& data);
// Probe rollouts of one env, one panel per method (policy and variant),
// paths coloured by the mode each rollout committed to. For Push-T, drawn
// over the T at its probe pose and the goal T, as in the Diffusion Policy
// paper's left/right picture. One figure per env with probe rollouts.
std::vector<Figure> ProbeFigures(const SuiteData& data);
// For every experiment and every variant key with numeric values (To, Ta,
// guidance weight, DDIM steps, ...): success and score against the key, one
// line per env, policy and the other keys' values, with 95% interval bars.
std::vector<Figure> AblationFigures(const SuiteData& data);
// Per env, the per-transition rates tr_<from>__<to> of every policy (bars
// with 95% intervals).
std::optional<Figure> TransitionFigure(const SuiteData& data);

// Every figure above, in the order the summary lists them.
std::vector<Figure> BuildFigures(const SuiteData& data);

}  // namespace bcbench
