#include "benchmarks/report/summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "benchmarks/metrics/paired.h"

namespace bcbench {
namespace {

std::string Row(const std::vector<std::string>& fields) {
  std::string out = "|";
  for (const auto& f : fields) out += " " + f + " |";
  return out + "\n";
}

std::string Rule(size_t columns) {
  std::string out = "|";
  for (size_t i = 0; i < columns; ++i) out += "---|";
  return out + "\n";
}

// Variant order: key by key, numbers by value, other text by name; "" first.
bool VariantLess(const std::string& a, const std::string& b) {
  const auto pa = ParseVariant(a, "variant"), pb = ParseVariant(b, "variant");
  for (size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
    if (pa[i].first != pb[i].first) return pa[i].first < pb[i].first;
    double x = 0, y = 0;
    if (IsNumber(pa[i].second, &x) && IsNumber(pb[i].second, &y)) {
      if (x != y) return x < y;
    } else if (pa[i].second != pb[i].second) {
      return pa[i].second < pb[i].second;
    }
  }
  return pa.size() < pb.size();
}

std::string VariantHeading(const std::string& variant) {
  std::string out = variant.empty() ? "default" : variant;
  std::replace(out.begin(), out.end(), ';', ' ');
  return out;
}

std::string ManifestLine(const Manifest& m) {
  std::vector<std::string> parts;
  if (!m.suite_hash.empty()) parts.push_back("suite hash `" + m.suite_hash + "`");
  if (!m.bcbench_version.empty()) parts.push_back("bcbench " + m.bcbench_version);
  if (!m.git_commit.empty()) parts.push_back("commit `" + m.git_commit + "`");
  if (!m.machine.empty()) parts.push_back("machine: " + m.machine);
  if (!m.started.empty()) parts.push_back("started " + m.started);
  if (!m.updated.empty()) parts.push_back("updated " + m.updated);
  if (!m.shard.empty()) parts.push_back("shard " + m.shard);
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string ExperimentTables(const SuiteData& data) {
  std::vector<std::string> experiments;
  for (const CellResult& c : data.cells) {
    if (std::find(experiments.begin(), experiments.end(), c.experiment) == experiments.end()) {
      experiments.push_back(c.experiment);
    }
  }
  const auto main = MainTableCells(data);
  std::string out;
  for (const std::string& experiment : experiments) {
    std::vector<const CellResult*> cells;
    std::vector<std::string> variants;
    for (const CellResult& c : data.cells) {
      if (c.experiment != experiment) continue;
      cells.push_back(&c);
      if (std::find(variants.begin(), variants.end(), c.variant) == variants.end()) {
        variants.push_back(c.variant);
      }
    }
    const bool all_in_main = std::all_of(cells.begin(), cells.end(), [&](const CellResult* c) {
      return std::find(main.begin(), main.end(), c) != main.end();
    });
    if (all_in_main) {
      out += fmt::format("\n## Experiment {}\n\nIts {} cells have no variant: they are the main "
                         "table's.\n",
                         experiment, cells.size());
      continue;
    }
    std::stable_sort(variants.begin(), variants.end(), VariantLess);
    // Rows: env and method (policy, with seeds when they differ), in order.
    std::vector<std::pair<std::string, std::string>> rows;
    for (const CellResult* c : cells) {
      const auto row = std::make_pair(c->env, MethodLabel(*c, cells));
      if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
    }
    out += fmt::format("\n## Experiment {}\n", experiment);
    for (const auto& [metric, title] :
         {std::pair<std::string, std::string>{"success", "Success rate [95% CI]"},
          {"score", "Score [95% CI]"}}) {
      out += fmt::format("\n{}:\n\n", title);
      std::vector<std::string> header = {"env", "policy"};
      for (const auto& v : variants) header.push_back(VariantHeading(v));
      out += Row(header) + Rule(header.size());
      for (const auto& [env, method] : rows) {
        std::vector<std::string> fields = {env, method};
        for (const auto& v : variants) {
          std::string field = "n/a";
          for (const CellResult* c : cells) {
            if (c->env == env && MethodLabel(*c, cells) == method && c->variant == v) {
              field = FormatEstimate(c->Metric(metric));
            }
          }
          fields.push_back(field);
        }
        out += Row(fields);
      }
    }
    // What a sampler setting costs (E8): each cell's evaluation, one process.
    out += "\nEvaluation wall time, seconds for the cell's episodes (one process, its threads; "
           "compare within one run):\n\n";
    std::vector<std::string> header = {"env", "policy"};
    for (const auto& v : variants) header.push_back(VariantHeading(v));
    out += Row(header) + Rule(header.size());
    for (const auto& [env, method] : rows) {
      std::vector<std::string> fields = {env, method};
      for (const auto& v : variants) {
        std::string field = "n/a";
        for (const CellResult* c : cells) {
          if (c->env == env && MethodLabel(*c, cells) == method && c->variant == v &&
              std::isfinite(c->eval_wall_s)) {
            field = fmt::format("{:.1f} ({} ep.)", c->eval_wall_s, c->episodes);
          }
        }
        fields.push_back(field);
      }
      out += Row(fields);
    }
  }
  return out;
}

// Each main-table method against its env's reference (Diffusion Policy where
// the env has it, else the env's first method) on the same evaluation seeds:
// exact McNemar on the discordant successes, paired bootstrap on the scores.
std::string PairedComparisons(const SuiteData& data) {
  const auto main = MainTableCells(data);
  std::vector<std::string> envs;
  for (const CellResult* c : main) {
    if (std::find(envs.begin(), envs.end(), c->env) == envs.end()) envs.push_back(c->env);
  }
  const auto p_text = [](double v) {
    return v < 0.001 ? std::string("<0.001") : fmt::format("{:.3f}", v);
  };
  const auto difference = [](const Interval& i) {
    return fmt::format("{:+.3f} [{:+.3f}, {:+.3f}]", i.estimate, i.low, i.high);
  };
  std::string rows;
  for (const std::string& env : envs) {
    const CellResult* reference = nullptr;
    for (const CellResult* c : main) {
      if (c->env != env) continue;
      if (reference == nullptr || (c->policy == "diffusion" && reference->policy != "diffusion")) {
        reference = c;
      }
    }
    const auto ref = data.episodes.find(reference->cell);
    if (ref == data.episodes.end()) continue;
    for (const CellResult* c : main) {
      if (c->env != env || c == reference) continue;
      const auto it = data.episodes.find(c->cell);
      if (it == data.episodes.end()) continue;
      const std::string method = MethodLabel(*c, main), against = MethodLabel(*reference, main);
      try {
        const PairedComparison p = ComparePaired(it->second.rows, ref->second.rows,
                                                 it->second.train_seeds, ref->second.train_seeds);
        rows += Row({env, method, against, std::to_string(p.pairs),
                     fmt::format("{} / {}", p.only_first, p.only_second),
                     difference(p.success_difference), p_text(p.success_p),
                     difference(p.score_difference), p_text(p.score_p)});
      } catch (const std::invalid_argument& e) {
        rows += Row({env, method, against, "n/a", "n/a",
                     std::string("not paired: ") + e.what(), "n/a", "n/a", "n/a"});
      }
    }
  }
  if (rows.empty()) return "";
  return "\n## Paired comparisons\n\nEach main-table method minus its env's reference on the "
         "same evaluation (and training) seeds, so that the seeds' difficulty cancels. Only "
         "method / only reference: the episodes only one of the two solved; McNemar p: the "
         "exact two-sided test on them. Differences with bootstrap 95% intervals over the pairs "
         "(success rate; score: the max reward), and the bootstrap p of the score's.\n\n" +
         Row({"env", "method", "reference", "pairs", "only method / only reference",
              "success difference [95% CI]", "McNemar p", "score difference [95% CI]",
              "bootstrap p"}) +
         Rule(9) + rows;
}

std::string PartialScores(const SuiteData& data) {
  std::vector<std::string> names;
  for (const CellResult& c : data.cells) {
    for (const auto& [name, m] : c.metrics) {
      if (name.rfind("partial_", 0) == 0 &&
          std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
      }
    }
  }
  if (names.empty()) return "";
  std::sort(names.begin(), names.end());
  std::string out =
      "\n## Partial scores\n\nFraction of episodes reaching each of the env's partial "
      "scores [95% CI].\n\n";
  std::vector<std::string> header = {"experiment", "env", "policy", "variant"};
  for (const auto& n : names) header.push_back(n.substr(8));
  out += Row(header) + Rule(header.size());
  for (const CellResult& c : data.cells) {
    bool any = false;
    for (const auto& n : names) any = any || c.metrics.count(n);
    if (!any) continue;
    std::vector<std::string> fields = {c.experiment, c.env, c.policy,
                                       c.variant.empty() ? "default" : VariantHeading(c.variant)};
    for (const auto& n : names) fields.push_back(FormatEstimate(c.Metric(n)));
    out += Row(fields);
  }
  return out;
}

std::string MissingSection(const SuiteData& data, const std::vector<std::string>& figure_notes) {
  std::vector<std::string> items;
  const std::map<std::string, std::string> consequence = {
      {kManifestFile, "pending cells cannot be listed"},
      {kCellsFile, data.cells_from_episodes
                       ? "success, score, stall and stuck rates and mode fractions are computed "
                         "from episodes.csv; mode JSD, transitions and demo histograms are n/a"
                       : "no cell results"},
      {kEpisodesFile, "episode counts are not cross-checked"},
      {kProbeFile, "no probe figure"}};
  for (const std::string& file : data.missing_files) {
    items.push_back(fmt::format("file `{}` not found: {}", file, consequence.at(file)));
  }
  std::string pending_table;
  if (data.manifest) {
    std::set<std::string> have;
    for (const CellResult& c : data.cells) have.insert(c.cell);
    std::vector<const ManifestCell*> pending, absent;
    // With neither results file, the missing-file items already say it all.
    const bool have_results = data.cells_from_episodes ||
                              std::find(data.missing_files.begin(), data.missing_files.end(),
                                        kCellsFile) == data.missing_files.end();
    for (const ManifestCell& c : data.manifest->cells) {
      if (c.status != "done") {
        pending.push_back(&c);
      } else if (have_results && !have.count(c.id)) {
        absent.push_back(&c);
      }
    }
    if (!pending.empty()) {
      items.push_back(fmt::format("{} of {} cells pending (not run yet{}):", pending.size(),
                                  data.manifest->cells.size(),
                                  data.manifest->shard.empty() ? ""
                                                               : ", or run by another shard"));
      pending_table = "\n" + Row({"cell", "experiment", "env", "policy", "variant", "train seed"}) +
                      Rule(6);
      for (const ManifestCell* c : pending) {
        pending_table += Row({"`" + c->id + "`", c->experiment, c->env, c->policy,
                              c->variant.empty() ? "default" : VariantHeading(c->variant),
                              c->train_seed});
      }
    }
    for (const ManifestCell* c : absent) {
      items.push_back(fmt::format("cell `{}` is done in the manifest but has no results row",
                                  c->id));
    }
  }
  if (!data.episode_rows.empty() && !data.cells_from_episodes) {
    for (const CellResult& c : data.cells) {
      const auto it = data.episode_rows.find(c.cell);
      const int rows = it == data.episode_rows.end() ? 0 : it->second;
      if (rows != c.episodes) {
        items.push_back(fmt::format("cell `{}`: cells.csv counts {} episodes, episodes.csv holds {}",
                                    c.cell, c.episodes, rows));
      }
    }
  }
  for (const auto& note : figure_notes) items.push_back(note);
  std::string out = "\n## Missing\n\n";
  if (items.empty()) {
    return out + "Nothing: every file is present and every cell of the manifest is done.\n";
  }
  // The pending table follows its list item.
  for (const auto& item : items) {
    out += "- " + item + "\n";
    if (item.find("cells pending") != std::string::npos) out += pending_table + "\n";
  }
  return out;
}

}  // namespace

std::string FormatValue(const MetricEstimate& m) {
  return m.HasValue() ? fmt::format("{:.3f}", m.value) : "n/a";
}

std::string FormatEstimate(const MetricEstimate& m) {
  if (!m.HasValue()) return "n/a";
  if (!m.HasInterval()) return FormatValue(m);
  return fmt::format("{:.3f} [{:.3f}, {:.3f}]", m.value, m.lo, m.hi);
}

std::string MainTableMarkdown(const SuiteData& data) {
  const auto main = MainTableCells(data);
  if (data.cells.empty()) return "No cell results yet (see Missing).\n";
  if (main.empty()) {
    return "No cell without a variant yet: the results are in the experiment tables.\n";
  }
  std::string out = Row({"env", "policy", "train seeds", "episodes", "success [95% CI]",
                         "score [95% CI]", "mode JSD", "stall rate", "stuck rate"}) +
                    Rule(9);
  for (const CellResult* c : main) {
    out += Row({c->env, c->policy, c->train_seeds, std::to_string(c->episodes),
                FormatEstimate(c->Metric("success")), FormatEstimate(c->Metric("score")),
                FormatValue(c->Metric("mode_jsd")), FormatValue(c->Metric("stall_rate")),
                FormatValue(c->Metric("stuck_rate"))});
  }
  return out;
}

std::string SummaryMarkdown(const SuiteData& data, const std::vector<Figure>& figures,
                            const std::vector<std::string>& figure_notes) {
  std::string out = fmt::format(
      "# bcbench report: {}\n\n",
      data.manifest && !data.manifest->suite.empty() ? data.manifest->suite : data.dir);
  if (data.manifest) {
    const std::string line = ManifestLine(*data.manifest);
    if (!line.empty()) out += line + ".\n\n";
  }
  int done = 0;
  if (data.manifest) {
    for (const ManifestCell& c : data.manifest->cells) done += c.status == "done";
  }
  out += fmt::format("Results of {} cells{}{}.\n\n", data.cells.size(),
                     data.manifest ? fmt::format(" ({} of {} done in the manifest)", done,
                                                 data.manifest->cells.size())
                                   : "",
                     data.cells_from_episodes ? ", computed from episodes.csv" : "");
  out +=
      "Numbers have three decimals; brackets hold the 95% interval (Wilson for rates, bootstrap "
      "over episodes and training seeds for scores); n/a: not measured. Score: mean over "
      "episodes of the max reward. Mode JSD: Jensen-Shannon divergence of the episodes' mode "
      "histogram from the demos'. Stall rate: episodes ending in an idle streak of 20 steps "
      "without success. Stuck rate: episodes ending after 30 steps in one phase without "
      "success.\n\n";
  out += "## Main table\n\n";
  {
    // A suite without a `main` experiment fills the table from another
    // experiment's cells without a variant (e8: its DDPM cell): say which.
    std::set<std::string> from;
    for (const CellResult* c : MainTableCells(data)) from.insert(c->experiment);
    if (!from.empty() && from != std::set<std::string>{"main"}) {
      std::string names;
      for (const auto& e : from) names += (names.empty() ? "`" : ", `") + e + "`";
      out += fmt::format("Cells without a variant, from experiment(s) {}.\n\n", names);
    }
  }
  out += MainTableMarkdown(data);
  out += PairedComparisons(data);
  out += ExperimentTables(data);
  out += PartialScores(data);
  out += "\n## Figures\n\n";
  if (figures.empty()) out += "None drawn (see Missing).\n";
  for (const Figure& f : figures) {
    out += fmt::format("### {}\n\n![{}]({}.png)\n\n[SVG]({}.svg), script `gnuplot/{}.gp`\n\n",
                       f.caption, f.name, f.name, f.name, f.name);
  }
  out += MissingSection(data, figure_notes);
  return out;
}

}  // namespace bcbench
