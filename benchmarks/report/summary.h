// summary.md of a suite folder: the main table (env x policy), a table per
// experiment with its variants as columns, partial scores, links to the
// figures and what is missing (files not found, pending cells).
//
// Number format: three decimals; an interval follows in brackets,
// "0.620 [0.482, 0.741]" (Wilson 95% for rates, bootstrap 95% for scores);
// "n/a" where the suite has no value.
#pragma once

#include <string>
#include <vector>

#include "benchmarks/report/gnuplot.h"
#include "benchmarks/report/suite_data.h"

namespace bcbench {

std::string FormatEstimate(const MetricEstimate& m);  // with its interval, if any
std::string FormatValue(const MetricEstimate& m);     // the value alone

// The main table as markdown (header line first); a line saying so when the
// suite has no cell without a variant.
std::string MainTableMarkdown(const SuiteData& data);

// The whole summary. `figures` are those drawn (linked as NAME.png with an
// SVG link); `figure_notes` say which figures were not drawn and why.
std::string SummaryMarkdown(const SuiteData& data, const std::vector<Figure>& figures,
                            const std::vector<std::string>& figure_notes);

}  // namespace bcbench
