#include "benchmarks/report/figures.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "envs/pusht/pusht_env.h"
#include "envs/pusht/pusht_geometry.h"

namespace bcbench {
namespace {

// Tableau 10: distinct in colour and in grey, readable on white.
constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
constexpr size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);
constexpr const char* kDemoColour = "#404040";
constexpr const char* kNoModeColour = "#a0a0a0";

// A colour per method label, stable across the report's figures: policies
// in name order first, then any further label in the order asked for.
class Colours {
 public:
  explicit Colours(const SuiteData& data) {
    std::set<std::string> policies;
    for (const CellResult& c : data.cells) policies.insert(c.policy);
    for (const ProbeRollout& p : data.probe) policies.insert(p.policy);
    for (const std::string& p : policies) Of(p);
  }
  std::string Of(const std::string& label) {
    const auto it = colours_.find(label);
    if (it != colours_.end()) return it->second;
    const std::string colour = kPalette[colours_.size() % kPaletteSize];
    colours_.emplace(label, colour);
    return colour;
  }

 private:
  std::map<std::string, std::string> colours_;
};

std::string Num(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : "NaN"; }

// "value low high"; a value without an interval gets a zero-length bar.
std::string Triple(const MetricEstimate& m) {
  if (!m.HasValue()) return "NaN NaN NaN";
  if (!m.HasInterval()) return fmt::format("{} {} {}", Num(m.value), Num(m.value), Num(m.value));
  return fmt::format("{} {} {}", Num(m.value), Num(m.lo), Num(m.hi));
}

std::string Quoted(const std::string& label) { return "\"" + label + "\""; }

// A filesystem- and gnuplot-safe name part.
std::string Slug(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
  }
  return out;
}

std::vector<std::string> Envs(const std::vector<const CellResult*>& cells) {
  std::vector<std::string> envs;
  for (const CellResult* c : cells) {
    if (std::find(envs.begin(), envs.end(), c->env) == envs.end()) envs.push_back(c->env);
  }
  return envs;
}

// One panel of grouped bars with interval bars: a row per x position, a
// series per bar in a group.
struct BarSeries {
  std::string title;
  std::string colour;
  std::vector<MetricEstimate> values;  // per row
};
struct BarPanel {
  std::string title;
  std::string ylabel;
  std::vector<std::string> rows;
  std::vector<BarSeries> series;
  bool unit_range = true;  // y in [0, 1]
  bool rotate_labels = false;
};

std::string BarData(const BarPanel& panel) {
  std::string out = "# row";
  for (const auto& s : panel.series) out += fmt::format(" | {}: value low high", s.title);
  out += "\n";
  for (size_t r = 0; r < panel.rows.size(); ++r) {
    out += Quoted(panel.rows[r]);
    for (const auto& s : panel.series) out += " " + Triple(s.values[r]);
    out += "\n";
  }
  return out;
}

std::string BarPlot(const BarPanel& panel, const std::string& data_file) {
  std::string out = fmt::format("set title {}\nset ylabel {}\n", GnuplotQuote(panel.title),
                                GnuplotQuote(panel.ylabel));
  out += panel.unit_range ? "set yrange [0:1.05]\n" : "set yrange [0:*]\n";
  out += panel.rotate_labels ? "set xtics rotate by -25 left\n" : "set xtics norotate\n";
  // Groups sit at x = 0, 1, ...: no empty margin beside them.
  out += fmt::format("set xrange [-0.6:{}]\n", Num(panel.rows.size() - 0.4));
  out += "plot ";
  for (size_t i = 0; i < panel.series.size(); ++i) {
    const int c = 2 + 3 * static_cast<int>(i);
    out += fmt::format("{}{} using {}:{}:{}{} title {} lc rgb '{}'", i ? ", \\\n     " : "",
                       i ? "''" : GnuplotQuote("gnuplot/" + data_file), c, c + 1, c + 2,
                       i ? "" : ":xtic(1)", GnuplotQuote(panel.series[i].title),
                       panel.series[i].colour);
  }
  return out + "\n";
}

// Settings shared by the bar figures.
constexpr const char* kBarStyle =
    "reset\n"
    "set datafile missing 'NaN'\n"
    "set style data histograms\n"
    "set style histogram errorbars gap 1 lw 1.2\n"
    "set style fill solid 0.85 border rgb '#303030'\n"
    "set grid ytics lc rgb '#d0d0d0'\n"
    "set key below horizontal\n"
    "set xtics nomirror\n";

// The metric names with `prefix` that any of `cells` has, without the
// prefix, in the suite's column order.
std::vector<std::string> Suffixes(const SuiteData& data, const std::vector<const CellResult*>& cells,
                                  const std::string& prefix) {
  std::vector<std::string> names;
  for (const std::string& name : data.metric_names) {
    if (name.rfind(prefix, 0) != 0) continue;
    const bool any = std::any_of(cells.begin(), cells.end(), [&](const CellResult* c) {
      return c->metrics.count(name) > 0;
    });
    if (any) names.push_back(name.substr(prefix.size()));
  }
  return names;
}

std::vector<const CellResult*> OfEnv(const std::vector<const CellResult*>& cells,
                                     const std::string& env) {
  std::vector<const CellResult*> out;
  for (const CellResult* c : cells) {
    if (c->env == env) out.push_back(c);
  }
  return out;
}

}  // namespace

std::optional<Figure> SuccessFigure(const SuiteData& data) {
  const auto main = MainTableCells(data);
  if (main.empty()) return std::nullopt;
  Colours colours(data);
  const std::vector<std::string> envs = Envs(main);
  std::vector<std::string> labels;
  for (const CellResult* c : main) {
    const std::string label = MethodLabel(*c, main);
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
  }
  auto panel_of = [&](const std::string& metric, const std::string& title,
                      const std::string& ylabel) {
    BarPanel panel{title, ylabel, envs, {}, true, false};
    for (const std::string& label : labels) {
      BarSeries s{label, colours.Of(label), {}};
      for (const std::string& env : envs) {
        MetricEstimate m{std::nan(""), std::nan(""), std::nan("")};
        for (const CellResult* c : main) {
          if (c->env == env && MethodLabel(*c, main) == label) m = c->Metric(metric);
        }
        s.values.push_back(m);
      }
      panel.series.push_back(std::move(s));
    }
    return panel;
  };
  const BarPanel success = panel_of("success", "Success rate (Wilson 95% interval)", "success");
  const BarPanel score =
      panel_of("score", "Score: mean of max reward (bootstrap 95% interval)", "score");
  Figure f;
  f.name = "success";
  f.caption = "Success rate and score per env and policy, with 95% intervals";
  f.width = std::max(900, 160 * static_cast<int>(envs.size() * labels.size()) + 200);
  f.height = 460;
  f.data["success.dat"] = BarData(success);
  f.data["score.dat"] = BarData(score);
  f.body = std::string(kBarStyle) + "set multiplot layout 1,2\n" +
           BarPlot(success, "success.dat") + BarPlot(score, "score.dat") + "unset multiplot\n";
  return f;
}

std::optional<Figure> ModeFigure(const SuiteData& data) {
  const auto main = MainTableCells(data);
  Colours colours(data);
  Figure f;
  f.name = "modes";
  f.caption = "Mode histograms: fraction of episodes ending in each mode, policies vs demos";
  std::string panels;
  int n = 0;
  for (const std::string& env : Envs(main)) {
    const auto cells = OfEnv(main, env);
    std::vector<std::string> modes = Suffixes(data, cells, "mode_frac_");
    for (const std::string& m : Suffixes(data, cells, "demo_mode_frac_")) {
      if (std::find(modes.begin(), modes.end(), m) == modes.end()) modes.push_back(m);
    }
    if (modes.empty()) continue;
    BarPanel panel{env + ": episodes per mode (policies: Wilson 95%)", "fraction of episodes",
                   modes, {}, true, modes.size() > 4};
    // The demos' histogram is a property of the env's demos: the first cell
    // that carries it speaks for them.
    for (const CellResult* c : cells) {
      if (c->metrics.count("demo_mode_frac_" + modes.front()) == 0) continue;
      BarSeries demos{"demos", kDemoColour, {}};
      for (const auto& m : modes) demos.values.push_back(c->Metric("demo_mode_frac_" + m));
      panel.series.push_back(std::move(demos));
      break;
    }
    for (const CellResult* c : cells) {
      const std::string label = MethodLabel(*c, main);
      BarSeries s{label, colours.Of(label), {}};
      for (const auto& m : modes) s.values.push_back(c->Metric("mode_frac_" + m));
      panel.series.push_back(std::move(s));
    }
    const std::string file = "modes_" + Slug(env) + ".dat";
    f.data[file] = BarData(panel);
    panels += BarPlot(panel, file);
    ++n;
  }
  if (n == 0) return std::nullopt;
  f.width = 520 * n;
  f.height = 440;
  f.body = std::string(kBarStyle) + fmt::format("set multiplot layout 1,{}\n", n) + panels +
           "unset multiplot\n";
  return f;
}

std::vector<Figure> ProbeFigures(const SuiteData& data) {
  std::vector<Figure> figures;
  std::vector<std::string> envs;
  for (const ProbeRollout& p : data.probe) {
    if (std::find(envs.begin(), envs.end(), p.env) == envs.end()) envs.push_back(p.env);
  }
  for (const std::string& env : envs) {
    // Panels: one per method (policy and variant), in first-appearance order.
    std::vector<std::pair<std::string, std::string>> methods;
    std::set<std::string> mode_set;
    for (const ProbeRollout& p : data.probe) {
      if (p.env != env) continue;
      const auto key = std::make_pair(p.policy, p.variant);
      if (std::find(methods.begin(), methods.end(), key) == methods.end()) methods.push_back(key);
      mode_set.insert(p.mode);
    }
    // Decided modes take the palette in name order; "none" is grey.
    std::map<std::string, std::string> mode_colour;
    size_t next = 0;
    for (const std::string& m : mode_set) {
      mode_colour[m] = m == "none" ? kNoModeColour : kPalette[(next++ * 2) % kPaletteSize];
    }
    const bool pusht = env == "pusht";
    Figure f;
    f.name = "probe_" + Slug(env);
    f.caption = pusht ? "Push-T probe: the probe rollouts' agent paths over the T at its probe "
                        "pose (grey) and the goal T (green), one panel per method, coloured by "
                        "the mode each rollout took"
                      : env + " probe: the probe rollouts' effector paths, one panel per method, "
                              "coloured by the mode each rollout took";
    const int cols = std::min<int>(3, static_cast<int>(methods.size()));
    const int rows = (static_cast<int>(methods.size()) + cols - 1) / cols;
    f.width = 480 * cols;
    f.height = 500 * rows + 40;
    std::string body = "reset\nset size ratio -1\nset key bottom right box opaque samplen 2\n";
    if (pusht) {
      // The scene: the workspace, the T at the probe pose and at the goal,
      // the agent's start (a disc of the agent's radius).
      namespace pt = pusht;
      auto polygon = [](const pt::Pose2& pose) {
        std::string text;
        for (size_t i = 0; i <= pt::kOutline.size(); ++i) {
          const pt::Vec2 w = pt::ToWorld(pose, pt::kOutline[i % pt::kOutline.size()]);
          text += fmt::format("{} {},{}", i ? " to" : "from", Num(w.x), Num(w.y));
        }
        return text;
      };
      // The view: a square around both Ts, the agent's start and every path,
      // with a margin, inside the workspace.
      double x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
      auto extend = [&](double x, double y, double r) {
        x0 = std::min(x0, x - r);
        x1 = std::max(x1, x + r);
        y0 = std::min(y0, y - r);
        y1 = std::max(y1, y + r);
      };
      for (const pt::Pose2& pose : {pt::kGoalPose, PushTEnv::ProbeBlockPose()}) {
        for (const pt::Vec2& v : pt::kOutline) {
          const pt::Vec2 w = pt::ToWorld(pose, v);
          extend(w.x, w.y, 0);
        }
      }
      const pt::Vec2 start = PushTEnv::ProbeAgentPosition();
      extend(start.x, start.y, pt::kAgentRadius);
      for (const ProbeRollout& p : data.probe) {
        if (p.env != env) continue;
        for (const auto& [x, y] : p.path) extend(x, y, pt::kAgentRadius);
      }
      const double margin = 20, side = std::max(x1 - x0, y1 - y0) + 2 * margin;
      auto range = [&](double lo, double hi) {
        const double from = side >= pt::kWorkspaceSize
                                ? 0.0
                                : std::clamp((lo + hi - side) / 2, 0.0, pt::kWorkspaceSize - side);
        return std::make_pair(std::max(0.0, from), std::min(pt::kWorkspaceSize, from + side));
      };
      const auto [xa, xb] = range(x0, x1);
      const auto [ya, yb] = range(y0, y1);
      body += fmt::format("set xrange [{}:{}]\nset yrange [{}:{}]\n", Num(std::round(xa)),
                          Num(std::round(xb)), Num(std::round(ya)), Num(std::round(yb)));
      body += "set xlabel 'x (px)'\nset ylabel 'y (px)'\n";
      body += fmt::format(
          "set object 1 polygon {} fc rgb '#2ca02c' fs transparent solid 0.15 border lc rgb "
          "'#2ca02c' lw 2 back\n",
          polygon(pt::kGoalPose));
      body += fmt::format(
          "set object 2 polygon {} fc rgb '#9a9a9a' fs transparent solid 0.6 border lc rgb "
          "'#505050' lw 1 back\n",
          polygon(PushTEnv::ProbeBlockPose()));
      const pt::Vec2 agent = PushTEnv::ProbeAgentPosition();
      body += fmt::format(
          "set object 3 circle at {},{} size {} fc rgb '#303030' fs transparent solid 0.35 "
          "border lc rgb '#303030' front\n",
          Num(agent.x), Num(agent.y), Num(pt::kAgentRadius));
    } else {
      body += "set xlabel 'x'\nset ylabel 'y'\n";
    }
    body += fmt::format(
        "set multiplot layout {},{} title {}\n", rows, cols,
        GnuplotQuote(pusht ? "Push-T probe: rollouts from the left/right-symmetric start"
                           : env + " probe rollouts"));
    std::string dat;
    int block = 0;
    for (size_t k = 0; k < methods.size(); ++k) {
      const auto& [policy, variant] = methods[k];
      std::string plot, counts;
      int total = 0;
      for (const auto& [mode, colour] : mode_colour) {
        int n = 0;
        std::string lines;
        for (const ProbeRollout& p : data.probe) {
          if (p.env != env || p.policy != policy || p.variant != variant || p.mode != mode) {
            continue;
          }
          lines += fmt::format("# cell {} rollout {}\n", p.cell, p.rollout);
          for (const auto& [x, y] : p.path) lines += Num(x) + " " + Num(y) + "\n";
          lines += "\n";  // a blank line breaks the path between rollouts
          ++n;
        }
        if (n == 0) continue;
        total += n;
        counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", mode, n);
        dat += fmt::format("# block {}: {} {} mode {}\n", block, policy, variant, mode) + lines +
               "\n";  // with the blank line above: two, which ends a block
        plot += fmt::format("{}'gnuplot/{}.dat' index {} with lines lw 1.3 lc rgb '{}' title {}",
                            plot.empty() ? "" : ", ", f.name, block, colour,
                            GnuplotQuote(fmt::format("{} ({})", mode, n)));
        ++block;
      }
      const std::string method = variant.empty() ? policy : policy + " " + variant;
      body += fmt::format("set title {}\nplot {}\n",
                          GnuplotQuote(fmt::format("{}: {} rollouts", method, total)), plot);
    }
    body += "unset multiplot\n";
    f.data[f.name + ".dat"] = dat;
    f.body = body;
    figures.push_back(std::move(f));
  }
  return figures;
}

std::vector<Figure> AblationFigures(const SuiteData& data) {
  std::vector<Figure> figures;
  std::vector<std::string> experiments;
  for (const CellResult& c : data.cells) {
    if (std::find(experiments.begin(), experiments.end(), c.experiment) == experiments.end()) {
      experiments.push_back(c.experiment);
    }
  }
  for (const std::string& experiment : experiments) {
    // Variants of the experiment's cells (key -> value) and each key's values.
    std::vector<std::pair<const CellResult*, std::map<std::string, std::string>>> cells;
    std::map<std::string, std::set<std::string>> values;
    for (const CellResult& c : data.cells) {
      if (c.experiment != experiment) continue;
      const auto parts = ParseVariant(c.variant, c.cell);
      std::map<std::string, std::string> variant(parts.begin(), parts.end());
      for (const auto& [k, v] : variant) values[k].insert(v);
      cells.emplace_back(&c, std::move(variant));
    }
    for (const auto& [key, key_values] : values) {
      std::map<double, std::string> xs;  // numeric value -> its text
      bool numeric = key_values.size() >= 2;
      for (const std::string& v : key_values) {
        double x = 0;
        if (!IsNumber(v, &x)) numeric = false;
        xs[x] = v;
      }
      if (!numeric) continue;
      // Series: env, policy and the other keys' values; points sorted by x.
      struct Point {
        double x;
        MetricEstimate success, score;
      };
      std::vector<std::pair<std::string, std::vector<Point>>> series;
      for (const auto& [cell, variant] : cells) {
        const auto it = variant.find(key);
        if (it == variant.end()) continue;
        std::string label = cell->env + " " + cell->policy;
        for (const auto& [k, v] : variant) {
          if (k != key) label += " " + k + "=" + v;
        }
        // Training seeds are separate lines when the experiment has several.
        const bool seeds_differ = std::any_of(cells.begin(), cells.end(), [&](const auto& other) {
          return other.first->train_seeds != cell->train_seeds;
        });
        if (seeds_differ) label += " s" + cell->train_seeds;
        double x = 0;
        IsNumber(it->second, &x);
        auto s = std::find_if(series.begin(), series.end(),
                              [&](const auto& e) { return e.first == label; });
        if (s == series.end()) {
          series.emplace_back(label, std::vector<Point>{});
          s = series.end() - 1;
        }
        s->second.push_back({x, cell->Metric("success"), cell->Metric("score")});
      }
      const double lo = xs.begin()->first, hi = xs.rbegin()->first;
      const bool log2 = lo > 0 && hi / lo >= 4;
      std::string tics;
      for (const auto& [x, text] : xs) {
        tics += fmt::format("{}{} {}", tics.empty() ? "" : ", ", Quoted(text), Num(x));
      }
      Figure f;
      f.name = "ablation_" + Slug(experiment) + "_" + Slug(key);
      f.caption = fmt::format("Experiment {}: success and score against {}, 95% intervals",
                              experiment, key);
      f.width = 1100;
      f.height = 480 + 18 * static_cast<int>((series.size() + 1) / 2);
      std::string dat, success_plot, score_plot;
      for (size_t i = 0; i < series.size(); ++i) {
        auto& points = series[i].second;
        std::sort(points.begin(), points.end(),
                  [](const Point& a, const Point& b) { return a.x < b.x; });
        dat += fmt::format("# block {}: {}\n# {} success low high score low high\n", i,
                           series[i].first, key);
        for (const Point& p : points) {
          dat += fmt::format("{} {} {}\n", Num(p.x), Triple(p.success), Triple(p.score));
        }
        dat += "\n\n";
        // Lines side by side are shifted a little along x so that their
        // interval bars do not hide each other (by a factor on a log axis).
        const double shift = (static_cast<double>(i) - (series.size() - 1) / 2.0) * 0.015;
        const std::string x = log2 ? fmt::format("($1*2**({}))", Num(shift * 3))
                                   : fmt::format("($1+({}))", Num(shift * (hi - lo)));
        const std::string colour = kPalette[i % kPaletteSize];
        const std::string style = fmt::format(
            "with yerrorlines lw 1.5 pt 7 ps 0.6 lc rgb '{}' title {}", colour,
            GnuplotQuote(series[i].first));
        success_plot += fmt::format("{}'gnuplot/{}.dat' index {} using {}:2:3:4 {}",
                                    i ? ", \\\n     " : "", f.name, i, x, style);
        score_plot += fmt::format("{}'gnuplot/{}.dat' index {} using {}:5:6:7 {}",
                                  i ? ", \\\n     " : "", f.name, i, x, style);
      }
      f.data[f.name + ".dat"] = dat;
      std::string body =
          "reset\nset datafile missing 'NaN'\nset grid lc rgb '#d0d0d0'\n"
          "set key below horizontal\nset yrange [0:1.05]\n";
      body += fmt::format("set xlabel {}\nset xtics ({})\n", GnuplotQuote(key), tics);
      body += log2 ? fmt::format("set logscale x 2\nset xrange [{}:{}]\n", Num(lo / 1.4),
                                 Num(hi * 1.4))
                   : fmt::format("set xrange [{}:{}]\n", Num(lo - 0.08 * (hi - lo)),
                                 Num(hi + 0.08 * (hi - lo)));
      body += fmt::format("set multiplot layout 1,2 title {}\n",
                          GnuplotQuote("Experiment " + experiment + ": " + key));
      body += "set title 'Success rate (Wilson 95%)'\nset ylabel 'success'\nplot " +
              success_plot + "\n";
      body += "set title 'Score (bootstrap 95%)'\nset ylabel 'score'\nplot " + score_plot + "\n";
      body += "unset multiplot\n";
      f.body = body;
      figures.push_back(std::move(f));
    }
  }
  return figures;
}

std::optional<Figure> TransitionFigure(const SuiteData& data) {
  const auto main = MainTableCells(data);
  Colours colours(data);
  Figure f;
  f.name = "transitions";
  f.caption = "Per-transition rates: of the episodes that reached a phase, the fraction that "
              "reached the next, 95% intervals";
  std::string panels;
  int n = 0;
  size_t widest = 1;
  for (const std::string& env : Envs(main)) {
    const auto cells = OfEnv(main, env);
    const std::vector<std::string> names = Suffixes(data, cells, "tr_");
    if (names.empty()) continue;
    std::vector<std::string> rows;
    for (const std::string& name : names) {
      const size_t split = name.find("__");
      rows.push_back(split == std::string::npos
                         ? name
                         : name.substr(0, split) + " -> " + name.substr(split + 2));
    }
    BarPanel panel{env + ": transition rates", "rate", rows, {}, true, rows.size() > 5};
    for (const CellResult* c : cells) {
      const std::string label = MethodLabel(*c, main);
      BarSeries s{label, colours.Of(label), {}};
      for (const auto& name : names) s.values.push_back(c->Metric("tr_" + name));
      panel.series.push_back(std::move(s));
    }
    widest = std::max(widest, rows.size() * std::max<size_t>(1, cells.size()));
    const std::string file = "transitions_" + Slug(env) + ".dat";
    f.data[file] = BarData(panel);
    panels += BarPlot(panel, file);
    ++n;
  }
  if (n == 0) return std::nullopt;
  f.width = std::max<int>(800, 28 * static_cast<int>(widest) + 200);
  f.height = 380 * n;
  f.body = std::string(kBarStyle) + fmt::format("set multiplot layout {},1\n", n) + panels +
           "unset multiplot\n";
  return f;
}

std::vector<Figure> BuildFigures(const SuiteData& data) {
  std::vector<Figure> figures;
  if (auto f = SuccessFigure(data)) figures.push_back(std::move(*f));
  if (auto f = ModeFigure(data)) figures.push_back(std::move(*f));
  for (Figure& f : ProbeFigures(data)) figures.push_back(std::move(f));
  for (Figure& f : AblationFigures(data)) figures.push_back(std::move(f));
  if (auto f = TransitionFigure(data)) figures.push_back(std::move(*f));
  return figures;
}

}  // namespace bcbench
